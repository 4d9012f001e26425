using System.Buffers;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Strata.Client;
using Strata.Core.Deployments;
using Strata.Core.Errors;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata deployments create|update|list|get|revisions|delete|rollback</c>: deployments over a Strata server's REST
/// API (<c>--tracking-uri</c>, default env <c>MLFLOW_TRACKING_URI</c>). Answers are printed as the API's JSON.
/// </summary>
internal static class DeploymentsCommand
{
    public static Command Create()
    {
        var group = new Command("deployments", "Declare which model versions serve a name, with traffic weights, a shadow and a sticky key.");
        group.Subcommands.Add(CreateOrUpdate(update: false));
        group.Subcommands.Add(CreateOrUpdate(update: true));
        group.Subcommands.Add(List());
        group.Subcommands.Add(Get());
        group.Subcommands.Add(Revisions());
        group.Subcommands.Add(Delete());
        group.Subcommands.Add(Rollback());
        return group;
    }

    private static Option<string> Name() => new("--name", "-n") { Description = "The deployment's name.", Required = true };

    private static Command CreateOrUpdate(bool update)
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var route = new Option<string[]>("--route", "-r")
        {
            Description = "A model version and its traffic share, MODEL@ALIAS=WEIGHT or MODEL/VERSION=WEIGHT (repeatable; weights add up to 100; one version needs no weight).",
            Required = !update,
        };
        var shadow = new Option<string?>("--shadow") { Description = "A version that gets a copy of every request, answer logged and never returned: MODEL@ALIAS or MODEL/VERSION ('none' removes it)." };
        var stickyHeader = new Option<string?>("--sticky-header") { Description = "Route every request with the same value of this header to the same version." };
        var stickyColumn = new Option<string?>("--sticky-column") { Description = "Route every request with the same value of this input column (first row) to the same version." };
        var noSticky = new Option<bool>("--no-sticky") { Description = "Remove the sticky key." };
        var batching = new Option<bool?>("--enable-batching") { Description = "Join concurrent requests into one model call (true/false)." };
        var maxBatch = new Option<int?>("--max-batch-size") { Description = "Most rows in one model call." };
        var maxDelay = new Option<int?>("--max-batch-delay-ms") { Description = "Longest a request waits for a batch to fill, in ms." };
        var sample = new Option<double?>("--log-sample-rate") { Description = "Fraction of requests written to the prediction log, 0 to 1." };
        var timeout = new Option<double?>("--timeout") { Description = "Seconds one request may take before it is answered 504." };
        var description = new Option<string?>("--description") { Description = "What this revision is for." };
        var revision = new Option<long?>("--revision") { Description = "The revision your change is based on; the update fails (409) if the deployment has moved on. Default: the revision read just before writing." };

        var command = new Command(update ? "update" : "create", update
            ? "Write a new revision: the flags given replace those parts of the current one."
            : "Create a deployment (revision 1).")
        {
            tracking, name, route, shadow, stickyHeader, stickyColumn, noSticky, batching, maxBatch, maxDelay, sample, timeout, description,
        };
        if (update)
        {
            command.Options.Add(revision);
        }

        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var deploymentName = parse.GetValue(name)!;
            Deployment? current = update ? await client.GetDeploymentAsync(deploymentName, ct).ConfigureAwait(false) : null;
            var baseSpec = current?.Current.Spec;
            var routeTexts = parse.GetValue(route) ?? [];
            var targets = routeTexts.Length > 0
                ? routeTexts.Select((t, i) => DeploymentValidation.ParseTarget(t, $"--route #{i + 1}")).ToList()
                : baseSpec?.Route.ToList() ?? [];
            var shadowText = parse.GetValue(shadow);
            var shadowTarget = shadowText is null ? baseSpec?.Shadow
                : shadowText == "none" ? null
                : DeploymentValidation.ParseTarget(shadowText, "--shadow").Model;
            if (parse.GetValue(stickyHeader) is not null && parse.GetValue(stickyColumn) is not null)
            {
                throw MlflowException.InvalidParameter("Give --sticky-header or --sticky-column, not both.");
            }

            var sticky = parse.GetValue(noSticky) ? null
                : parse.GetValue(stickyHeader) is { } h ? new StickyKey(StickyKeySource.Header, h)
                : parse.GetValue(stickyColumn) is { } c ? new StickyKey(StickyKeySource.Column, c)
                : baseSpec?.StickyKey;
            var old = baseSpec?.Settings ?? DeploymentSettings.Default;
            var settings = old with
            {
                EnableBatching = parse.GetValue(batching) ?? old.EnableBatching,
                MaxBatchSize = parse.GetValue(maxBatch) ?? old.MaxBatchSize,
                MaxBatchDelayMs = parse.GetValue(maxDelay) ?? old.MaxBatchDelayMs,
                LogSampleRate = parse.GetValue(sample) ?? old.LogSampleRate,
                TimeoutSeconds = parse.GetValue(timeout) ?? old.TimeoutSeconds,
            };
            var spec = new DeploymentSpec(targets, shadowTarget, sticky, settings, parse.GetValue(description) ?? baseSpec?.Description);
            var written = update
                ? await client.UpdateDeploymentAsync(deploymentName, parse.GetValue(revision) ?? current!.CurrentRevision, spec, ct).ConfigureAwait(false)
                : await client.CreateDeploymentAsync(deploymentName, spec, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => DeploymentJson.WriteDeployment(w, written));
        }));
        return command;
    }

    private static Command List()
    {
        var tracking = RemoteCommand.TrackingUri();
        var command = new Command("list", "List deployments with their current revision.") { tracking };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await RemoteCommand.PrintAllAsync(client.ListDeploymentsAsync(ct), "deployments", DeploymentJson.WriteDeployment).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Get()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Command("get", "Show a deployment and its current revision.") { tracking, name };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var d = await client.GetDeploymentAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => DeploymentJson.WriteDeployment(w, d));
        }));
        return command;
    }

    private static Command Revisions()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Command("revisions", "List a deployment's revisions, newest first.") { tracking, name };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await RemoteCommand.PrintAllAsync(client.ListDeploymentRevisionsAsync(parse.GetValue(name)!, ct), "revisions", DeploymentJson.WriteRevision).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Delete()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Command("delete", "Delete a deployment and its revisions; serving processes stop serving it within seconds.") { tracking, name };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await client.DeleteDeploymentAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
            Console.Out.WriteLine("{}");
        }));
        return command;
    }

    private static Command Rollback()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var to = new Option<long>("--to-revision") { Description = "The revision to go back to (copied into a new revision).", Required = true };
        var revision = new Option<long?>("--revision") { Description = "Only if the deployment is still at this revision (409 otherwise)." };
        var command = new Command("rollback", "Serve an earlier revision again, as a new revision.") { tracking, name, to, revision };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var d = await client.RollbackDeploymentAsync(parse.GetValue(name)!, parse.GetValue(to), parse.GetValue(revision), ct).ConfigureAwait(false);
            RemoteCommand.Print(w => DeploymentJson.WriteDeployment(w, d));
        }));
        return command;
    }
}
