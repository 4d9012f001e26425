using System.CommandLine;
using Strata.Core.Jobs;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata jobs create|update|list|get|delete|run|cancel|executions|logs</c> over a Strata server's REST API
/// (<c>--tracking-uri</c>, default env <c>MLFLOW_TRACKING_URI</c>). Answers are printed as the API's JSON; <c>logs</c>
/// prints the execution's stdout or stderr as stored.
/// </summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var group = new Command("jobs", "Run a command on a cron schedule, on demand or on an event; each execution is a tracked run.");
        group.Subcommands.Add(CreateOrUpdate(update: false));
        group.Subcommands.Add(CreateOrUpdate(update: true));
        group.Subcommands.Add(List());
        group.Subcommands.Add(Get());
        group.Subcommands.Add(Delete());
        group.Subcommands.Add(Run());
        group.Subcommands.Add(Cancel());
        group.Subcommands.Add(Executions());
        group.Subcommands.Add(Logs());
        return group;
    }

    private static Option<string> Name() => new("--name", "-n") { Description = "The job's name.", Required = true };

    private static Option<string> ExecutionId() => new("--execution-id") { Description = "The execution's id.", Required = true };

    private static Command CreateOrUpdate(bool update)
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Option<string?>("--command") { Description = "The program to run (a path, or a name on the server's PATH); or give it and its arguments after '--'." };
        var args = new Option<string[]>("--arg") { Description = "An argument (repeatable, in order; no shell is involved)." };
        var commandLine = new Argument<string[]>("command-line") { Description = "After '--': the program and its arguments, e.g. -- dotnet run --project app.", Arity = ArgumentArity.ZeroOrMore };
        var env = new Option<string[]>("--env", "-e") { Description = "An environment variable NAME=VALUE (repeatable)." };
        var workingDir = new Option<string?>("--working-dir") { Description = "The directory the program starts in ('' clears it)." };
        var timeout = new Option<long?>("--timeout") { Description = "Seconds before the process tree is killed and the execution ends timed_out (0: no limit)." };
        var experiment = new Option<string?>("--experiment-id") { Description = "The experiment whose runs track the executions (default 0)." };
        var schedule = new Option<string?>("--schedule") { Description = "A cron schedule: 5 fields, 6 with seconds first, or @daily etc. ('' removes it)." };
        var timezone = new Option<string?>("--timezone") { Description = "The schedule's time zone, e.g. Europe/Paris (default UTC)." };
        var events = new Option<string[]>("--on-event") { Description = "Run on each new event of this type (repeatable), e.g. deployment.drift_share.exceeded, model_version.created." };
        var eventModel = new Option<string?>("--event-model") { Description = "Only events of this model (or deployment's model) name ('' removes the filter)." };
        var enabled = new Option<bool?>("--enabled") { Description = "Whether the schedule and event triggers fire (true/false); on-demand runs always work." };
        var description = new Option<string?>("--description") { Description = "What the job is for." };
        var runner = new Option<string?>("--runner") { Description = "Where executions run: local (a process of the server, the default) or kubernetes (a Kubernetes Job)." };
        var image = new Option<string?>("--image") { Description = "kubernetes runner: the container image (default: the server's --jobs-kubernetes-image)." };
        var ns = new Option<string?>("--namespace") { Description = "kubernetes runner: the namespace (default: the server's)." };
        var serviceAccount = new Option<string?>("--service-account") { Description = "kubernetes runner: the pod's service account." };
        var requests = new Option<string[]>("--request") { Description = "kubernetes runner: a resource request NAME=QUANTITY, e.g. cpu=500m (repeatable)." };
        var limits = new Option<string[]>("--limit") { Description = "kubernetes runner: a resource limit NAME=QUANTITY, e.g. memory=2Gi (repeatable)." };
        var concurrency = new Option<string?>("--concurrency-policy") { Description = "A scheduled or event execution due while others run: forbid (skip it, the default), allow, or replace (cancel the running one)." };
        var maxConcurrent = new Option<long?>("--max-concurrent") { Description = "How many executions of the job may run at once (default 1 for forbid/replace, no limit for allow; 0 resets)." };
        var cmd = new Command(update ? "update" : "create", update
            ? "Change the flags given; --arg, --env and --on-event replace their lists."
            : "Create a job.")
        {
            tracking, name, command, args, env, workingDir, timeout, experiment, schedule, timezone, events, eventModel, enabled, description,
            runner, image, ns, serviceAccount, requests, limits, concurrency, maxConcurrent, commandLine,
        };
        cmd.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var line = parse.GetValue(commandLine) ?? [];
            string[]? argList = line.Length > 0 ? line[1..] : parse.GetValue(args) is { Length: > 0 } a ? a : update ? null : [];
            var changes = new JobChanges(
                Name: parse.GetValue(name),
                Command: line.Length > 0 ? line[0] : parse.GetValue(command),
                Args: argList,
                Env: parse.GetValue(env) is { Length: > 0 } e ? ParseEnv(e) : null,
                WorkingDir: parse.GetValue(workingDir),
                TimeoutSeconds: parse.GetValue(timeout),
                ExperimentId: parse.GetValue(experiment),
                Schedule: parse.GetValue(schedule),
                TimeZone: parse.GetValue(timezone),
                EventTypes: parse.GetValue(events) is { Length: > 0 } t ? t : null,
                EventModelName: parse.GetValue(eventModel),
                Enabled: parse.GetValue(enabled),
                Description: parse.GetValue(description),
                Runner: parse.GetValue(runner),
                Kubernetes: Kubernetes(parse.GetValue(image), parse.GetValue(ns), parse.GetValue(serviceAccount), parse.GetValue(requests), parse.GetValue(limits)),
                ConcurrencyPolicy: parse.GetValue(concurrency),
                MaxConcurrent: parse.GetValue(maxConcurrent));
            var job = update
                ? await client.UpdateJobAsync(parse.GetValue(name)!, changes, ct).ConfigureAwait(false)
                : await client.CreateJobAsync(changes, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => JobJson.WriteJob(w, job));
        }));
        return cmd;
    }

    /// <summary>The kubernetes fields when any is given (an update then replaces the job's whole kubernetes object).</summary>
    private static KubernetesJobSpec? Kubernetes(string? image, string? ns, string? serviceAccount, string[]? requests, string[]? limits) =>
        image is null && ns is null && serviceAccount is null && requests is not { Length: > 0 } && limits is not { Length: > 0 }
            ? null
            : new KubernetesJobSpec(image, ns, serviceAccount,
                requests is { Length: > 0 } ? ParsePairs(requests, "--request") : null,
                limits is { Length: > 0 } ? ParsePairs(limits, "--limit") : null);

    private static Dictionary<string, string> ParseEnv(string[] pairs) => ParsePairs(pairs, "--env");

    private static Dictionary<string, string> ParsePairs(string[] pairs, string flag)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw Core.Errors.MlflowException.InvalidParameter($"{flag} expects NAME=VALUE, got '{pair}'.");
            }

            env[pair[..eq]] = pair[(eq + 1)..];
        }

        return env;
    }

    private static Command List()
    {
        var tracking = RemoteCommand.TrackingUri();
        var command = new Command("list", "List jobs, newest first.") { tracking };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await RemoteCommand.PrintAllAsync(client.ListJobsAsync(ct), "jobs", JobJson.WriteJob).ConfigureAwait(false);
        }));
        return command;
    }

    private static Command Get()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Command("get", "Show a job and its next scheduled time.") { tracking, name };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var job = await client.GetJobAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => JobJson.WriteJob(w, job));
        }));
        return command;
    }

    private static Command Delete()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Command("delete", "Delete a job: queued executions are cancelled, running ones killed; past runs stay.") { tracking, name };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await client.DeleteJobAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
            Console.Out.WriteLine("{}");
        }));
        return command;
    }

    private static Command Run()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var command = new Command("run", "Queue an execution now and print it.") { tracking, name };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var execution = await client.RunJobAsync(parse.GetValue(name)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => JobJson.WriteExecution(w, execution));
        }));
        return command;
    }

    private static Command Cancel()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = ExecutionId();
        var command = new Command("cancel", "Cancel a queued execution, or kill a running one (within a heartbeat).") { tracking, id };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var execution = await client.CancelJobExecutionAsync(parse.GetValue(id)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => JobJson.WriteExecution(w, execution));
        }));
        return command;
    }

    private static Command Executions()
    {
        var tracking = RemoteCommand.TrackingUri();
        var name = Name();
        var max = new Option<int?>("--max-results") { Description = "How many executions (newest first; default 100)." };
        var command = new Command("executions", "List a job's executions, newest first.") { tracking, name, max };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var page = await client.ListJobExecutionsPageAsync(parse.GetValue(name)!, parse.GetValue(max), null, ct).ConfigureAwait(false);
            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("executions"u8);
                foreach (var e in page.Items)
                {
                    JobJson.WriteExecution(w, e);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));
        return command;
    }

    private static Command Logs()
    {
        var tracking = RemoteCommand.TrackingUri();
        var id = ExecutionId();
        var stderr = new Option<bool>("--stderr") { Description = "Print stderr instead of stdout." };
        var command = new Command("logs", "Print an execution's stdout (or --stderr), stored in its run's artifacts when it ends.") { tracking, id, stderr };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            await using var output = Console.OpenStandardOutput();
            await client.DownloadJobExecutionLogAsync(parse.GetValue(id)!, parse.GetValue(stderr) ? "stderr" : "stdout", output, ct).ConfigureAwait(false);
        }));
        return command;
    }
}
