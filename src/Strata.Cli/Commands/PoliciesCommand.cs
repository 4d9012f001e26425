using System.CommandLine;
using Strata.Core.Policies;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata policies create|update|list|get|delete|decisions|approve|reject|evaluate</c> over a Strata server's REST
/// API; answers are printed as the API's JSON.
/// </summary>
internal static class PoliciesCommand
{
    public static Command Create()
    {
        var group = new Command("policies", "Promote new model versions by policy: a metric gate against @champion, then an alias, approval, a canary, promotion.");
        group.Subcommands.Add(CreateOrUpdate(update: false));
        group.Subcommands.Add(CreateOrUpdate(update: true));
        group.Subcommands.Add(List());
        group.Subcommands.Add(Get());
        group.Subcommands.Add(Delete());
        group.Subcommands.Add(Decisions());
        group.Subcommands.Add(Decide(approve: true));
        group.Subcommands.Add(Decide(approve: false));
        group.Subcommands.Add(Evaluate());
        return group;
    }

    private static Option<string> Id() => new("--id") { Description = "The policy's id.", Required = true };

    private static Command CreateOrUpdate(bool update)
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var name = new Option<string?>("--name", "-n") { Description = "The policy's name.", Required = !update };
        var model = new Option<string?>("--model", "-m") { Description = "The registered model whose new versions the policy judges.", Required = !update };
        var metric = new Option<string?>("--metric") { Description = "The metric of the version's source run the gate compares (e.g. val_rmse).", Required = !update };
        var direction = new Option<string?>("--direction") { Description = "min (lower is better) or max.", Required = !update };
        var improvement = new Option<double?>("--min-improvement") { Description = "Relative improvement over @champion required (0.02 = 2 %; default 0: any)." };
        var championAlias = new Option<string?>("--champion-alias") { Description = "The alias of the version to beat and to move on promotion (default champion)." };
        var sameDataset = new Option<bool?>("--same-dataset") { Description = "Both runs must have logged the same evaluation data set (digest)." };
        var setAlias = new Option<string?>("--set-alias") { Description = "An alias to set on a version that passes (e.g. challenger)." };
        var approval = new Option<bool?>("--require-approval") { Description = "Wait for approve/reject before any action." };
        var promote = new Option<bool?>("--promote") { Description = "Move @champion to a version that passes (without a canary: at once)." };
        var canaryDeployment = new Option<string?>("--canary-deployment") { Description = "Deployment to route a canary share to before promoting." };
        var canaryPercent = new Option<double?>("--canary-percent") { Description = "Canary share of the traffic in percent (default 10)." };
        var canaryRequests = new Option<long?>("--canary-min-requests") { Description = "Requests the canary serves before it is judged (default 100)." };
        var errorIncrease = new Option<double?>("--max-error-rate-increase") { Description = "Error rate the canary may exceed the champion's by (absolute; default 0)." };
        var latencyIncrease = new Option<double?>("--max-latency-increase") { Description = "Relative p99 latency the canary may exceed the champion's by (default 0)." };
        var description = new Option<string?>("--description") { Description = "What the policy is for." };
        var enabled = new Option<bool?>("--enabled") { Description = "false: new versions are not judged (default true)." };
        var command = new Command(update ? "update" : "create", update ? "Change the fields given." : "Create a policy.")
        {
            tracking, name, model, metric, direction, improvement, championAlias, sameDataset, setAlias, approval, promote,
            canaryDeployment, canaryPercent, canaryRequests, errorIncrease, latencyIncrease, description, enabled,
        };
        if (update)
        {
            command.Options.Add(id);
        }

        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var current = update ? (await client.GetPolicyAsync(parse.GetValue(id)!, ct).ConfigureAwait(false)).Spec : null;
            var gate = current?.Gate ?? new PolicyGate(string.Empty, MetricDirection.Min);
            gate = gate with
            {
                Metric = parse.GetValue(metric) ?? gate.Metric,
                Direction = parse.GetValue(direction) is { } d ? ParseDirection(d) : gate.Direction,
                MinImprovement = parse.GetValue(improvement) ?? gate.MinImprovement,
                ChampionAlias = parse.GetValue(championAlias) ?? gate.ChampionAlias,
                SameDataset = parse.GetValue(sameDataset) ?? gate.SameDataset,
            };
            var actions = current?.Actions ?? new PolicyActions();
            var canary = actions.Canary;
            if (parse.GetValue(canaryDeployment) is { } deployment)
            {
                canary = (canary ?? new CanaryAction(deployment, 10, 100)) with { Deployment = deployment };
            }

            if (canary is not null)
            {
                canary = canary with
                {
                    Percent = parse.GetValue(canaryPercent) ?? canary.Percent,
                    MinRequests = parse.GetValue(canaryRequests) ?? canary.MinRequests,
                    MaxErrorRateIncrease = parse.GetValue(errorIncrease) ?? canary.MaxErrorRateIncrease,
                    MaxLatencyIncrease = parse.GetValue(latencyIncrease) ?? canary.MaxLatencyIncrease,
                };
            }

            actions = new PolicyActions(
                parse.GetValue(setAlias) ?? actions.SetAlias,
                parse.GetValue(approval) ?? actions.RequireApproval,
                parse.GetValue(promote) ?? actions.Promote,
                canary);
            var spec = new PolicySpec(
                parse.GetValue(name) ?? current?.Name ?? string.Empty,
                parse.GetValue(model) ?? current?.ModelName ?? string.Empty,
                gate,
                actions,
                parse.GetValue(description) ?? current?.Description,
                parse.GetValue(enabled) ?? current?.Enabled ?? true);
            var written = update
                ? await client.UpdatePolicyAsync(parse.GetValue(id)!, spec, ct).ConfigureAwait(false)
                : await client.CreatePolicyAsync(spec, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => PolicyJson.WritePolicy(w, written));
        }));
        return command;
    }

    private static Command List()
    {
        var tracking = RemoteCommand.TrackingUri();
        var model = new Option<string?>("--model", "-m") { Description = "Only the policies of this registered model." };
        var command = new Command("list", "List policies, oldest first.") { tracking, model };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await RemoteCommand.PrintAllAsync(client.ListPoliciesAsync(parse.GetValue(model), ct), "policies", PolicyJson.WritePolicy).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Get()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var command = new Command("get", "Show a policy.") { tracking, id };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var p = await client.GetPolicyAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => PolicyJson.WritePolicy(w, p));
        }));
        return command;
    }

    private static Command Delete()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var command = new Command("delete", "Delete a policy; its open decisions are dropped.") { tracking, id };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await client.DeletePolicyAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            Console.Out.WriteLine("{}");
        }));
        return command;
    }

    private static Command Decisions()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var max = new Option<int?>("--max-results") { Description = "How many decisions (newest first; default 100)." };
        var command = new Command("decisions", "Show a policy's decisions with their reasons, newest first.") { tracking, id, max };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var page = await client.ListPolicyDecisionsPageAsync(parse.GetValue(id)!, parse.GetValue(max), null, ct).ConfigureAwait(false);
            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("decisions"u8);
                foreach (var d in page.Items)
                {
                    PolicyJson.WriteDecision(w, d);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));
        return command;
    }

    private static Command Decide(bool approve)
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var decision = new Option<string>("--decision") { Description = "The decision's id (see 'strata policies decisions').", Required = true };
        var comment = new Option<string?>("--comment") { Description = "Why, for the record." };
        var command = new Command(approve ? "approve" : "reject", approve ? "Approve a decision waiting for approval; its actions run at once." : "Reject a decision waiting for approval.")
        {
            tracking, id, decision, comment,
        };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var d = approve
                ? await client.ApprovePolicyDecisionAsync(parse.GetValue(id)!, parse.GetValue(decision)!, parse.GetValue(comment), ct).ConfigureAwait(false)
                : await client.RejectPolicyDecisionAsync(parse.GetValue(id)!, parse.GetValue(decision)!, parse.GetValue(comment), ct).ConfigureAwait(false);
            RemoteCommand.Print(w => PolicyJson.WriteDecision(w, d));
        }));
        return command;
    }

    private static Command Evaluate()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = Id();
        var version = new Option<long?>("--version", "-v") { Description = "The version to judge (default: the newest)." };
        var command = new Command("evaluate", "Judge a version now and show the decision.") { tracking, id, version };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var d = await client.EvaluatePolicyAsync(parse.GetValue(id)!, parse.GetValue(version), ct).ConfigureAwait(false);
            RemoteCommand.Print(w => PolicyJson.WriteDecision(w, d));
        }));
        return command;
    }

    private static MetricDirection ParseDirection(string text) => text.ToLowerInvariant() switch
    {
        "min" => MetricDirection.Min,
        "max" => MetricDirection.Max,
        _ => throw Strata.Core.Errors.MlflowException.InvalidParameter($"--direction must be min or max, got '{text}'."),
    };
}
