using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Strata.Client;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Core.Monitoring;
using Strata.Server.Monitoring;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata monitoring profile|drift|metrics|alerts</c>: reference profiles, drift runs, service metrics and alerts over
/// a Strata server's REST API (<c>--tracking-uri</c>, default env <c>MLFLOW_TRACKING_URI</c>), printed as JSON.
/// </summary>
internal static class MonitoringCommand
{
    public static Command Create()
    {
        var group = new Command("monitoring", "Reference profiles, drift, service metrics and alerts of deployments and model versions.");
        group.Subcommands.Add(Profile());
        group.Subcommands.Add(Drift());
        group.Subcommands.Add(Metrics());
        group.Subcommands.Add(Alerts());
        return group;
    }

    private static Option<string> Model(bool required) => new("--model", "-m") { Description = "The registered model's name.", Required = required };

    private static Option<string> Version(bool required) =>
        new("--version", "-v") { Description = "The model version: a number or an alias (champion).", Required = required };

    private static Option<string> Deployment(bool required) => new("--deployment", "-d") { Description = "The deployment's name.", Required = required };

    private static Option<string?> From() => new("--from") { Description = "Window start: an ISO 8601 time or epoch milliseconds." };

    private static Option<string?> To() => new("--to") { Description = "Window end: an ISO 8601 time or epoch milliseconds (default now)." };

    private static Option<string?> Since() => new("--since") { Description = "Window start as an age before now (1h, 30m, 7d), instead of --from." };

    // ---- profile ----

    private static Command Profile()
    {
        var group = new Command("profile", "The reference profile (training data statistics) of a model version.");

        var tracking = RemoteCommand.TrackingUri();
        var model = Model(true);
        var version = Version(true);
        var file = new Option<FileInfo?>("--file", "-f") { Description = "Profile this CSV or JSON file (by extension) instead of the dataset the version's run logged." };
        var dataset = new Option<string?>("--dataset-name") { Description = "Which of the run's logged datasets to profile, when it logged several." };
        var prediction = new Option<string?>("--prediction-column") { Description = "The column holding the model's output (default: 'prediction' if present)." };
        var compute = new Command("compute", "Compute and store the profile from the run's logged dataset, or from --file.") { tracking, model, version, file, dataset, prediction };
        compute.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var name = parse.GetValue(model)!;
            var v = parse.GetValue(version)!;
            StoredProfile profile;
            if (parse.GetValue(file) is { } f)
            {
                if (!f.Exists)
                {
                    throw MlflowException.InvalidParameter($"--file {f.FullName} does not exist.");
                }

                var csv = !f.Extension.Equals(".json", StringComparison.OrdinalIgnoreCase) && !f.Extension.Equals(".jsonl", StringComparison.OrdinalIgnoreCase);
                var data = await File.ReadAllBytesAsync(f.FullName, ct).ConfigureAwait(false);
                profile = await client.UploadProfileAsync(name, v, data, csv, parse.GetValue(prediction), ct).ConfigureAwait(false);
            }
            else
            {
                profile = await client.ComputeProfileAsync(name, v, parse.GetValue(dataset), parse.GetValue(prediction), ct).ConfigureAwait(false);
            }

            RemoteCommand.Print(w => WriteProfile(w, profile));
        }));
        group.Subcommands.Add(compute);

        var getTracking = RemoteCommand.TrackingUri();
        var getModel = Model(true);
        var getVersion = Version(true);
        var get = new Command("get", "Show a model version's stored profile.") { getTracking, getModel, getVersion };
        get.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(getTracking), async client =>
        {
            var profile = await client.GetProfileAsync(parse.GetValue(getModel)!, parse.GetValue(getVersion)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => WriteProfile(w, profile));
        }));
        group.Subcommands.Add(get);
        return group;
    }

    private static void WriteProfile(Utf8JsonWriter w, StoredProfile profile)
    {
        w.WriteStartObject();
        MonitoringJsonWriter.WriteProfile(w, profile);
        w.WriteEndObject();
    }

    // ---- drift ----

    private static Command Drift()
    {
        var group = new Command("drift", "Drift of logged predictions against the reference profile.");
        group.Subcommands.Add(DriftCommand(compute: false));
        group.Subcommands.Add(DriftCommand(compute: true));
        return group;
    }

    private static Command DriftCommand(bool compute)
    {
        var tracking = RemoteCommand.TrackingUri();
        var deployment = Deployment(false);
        var model = Model(false);
        var version = Version(false);
        var from = From();
        var to = To();
        var since = Since();
        var method = new Option<string?>("--method") { Description = "Force one method: auto (default), ks, chisquare, wasserstein, jensenshannon, psi." };
        var threshold = new Option<double?>("--threshold") { Description = "Override the method's default threshold." };
        var max = new Option<int?>("--max-results") { Description = "Most runs to list (default 100)." };
        var command = compute
            ? new Command("compute", "Compute drift now over a window (default the last 24 hours) for a deployment's versions or one model version, and store it.")
            {
                tracking, deployment, model, version, from, to, since, method, threshold,
            }
            : new Command("list", "List stored drift runs of a deployment or a model, newest first.") { tracking, deployment, model, version, from, to, since, max };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var d = parse.GetValue(deployment);
            var m = parse.GetValue(model);
            if ((d is null) == (m is null))
            {
                throw MlflowException.InvalidParameter("Give --deployment or --model (one of them).");
            }

            var v = parse.GetValue(version);
            var (start, end) = Window(parse.GetValue(from), parse.GetValue(to), parse.GetValue(since));
            IReadOnlyList<DriftRun> runs;
            if (compute)
            {
                if (d is null && v is null)
                {
                    throw MlflowException.InvalidParameter("--model needs --version to compute drift.");
                }

                runs = d is not null
                    ? await client.ComputeDeploymentDriftAsync(d, v, start, end, parse.GetValue(method), parse.GetValue(threshold), ct).ConfigureAwait(false)
                    : await client.ComputeModelDriftAsync(m!, v!, start, end, parse.GetValue(method), parse.GetValue(threshold), ct).ConfigureAwait(false);
            }
            else
            {
                runs = d is not null
                    ? await client.ListDeploymentDriftAsync(d, v, start, end, parse.GetValue(max), ct).ConfigureAwait(false)
                    : await client.ListModelDriftAsync(m!, v, start, end, parse.GetValue(max), ct).ConfigureAwait(false);
            }

            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                MonitoringJsonWriter.WriteRuns(w, runs);
                w.WriteEndObject();
            });
        }));
        return command;
    }

    // ---- metrics ----

    private static Command Metrics()
    {
        var tracking = RemoteCommand.TrackingUri();
        var deployment = Deployment(true);
        var from = From();
        var to = To();
        var since = Since();
        var bucket = new Option<string?>("--bucket") { Description = "minute (default) or hour." };
        var command = new Command("metrics", "Service metrics of a deployment per version: requests, errors, latency quantiles, throughput, CPU per 1,000 predictions.")
        {
            tracking, deployment, from, to, since, bucket,
        };
        command.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var (start, end) = Window(parse.GetValue(from), parse.GetValue(to), parse.GetValue(since));
            var resolution = parse.GetValue(bucket) switch
            {
                null or "minute" => MetricsResolution.Minute,
                "hour" => MetricsResolution.Hour,
                var other => throw MlflowException.InvalidParameter($"--bucket must be minute or hour, got '{other}'."),
            };
            var metrics = await client.GetDeploymentMetricsAsync(parse.GetValue(deployment)!, start, end, resolution, ct).ConfigureAwait(false);
            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                WritePoints(w, "points", metrics.Points);
                WritePoints(w, "totals", metrics.Totals);
                w.WriteEndObject();
            });
        }));
        return command;
    }

    private static void WritePoints(Utf8JsonWriter w, string name, IReadOnlyList<ServiceMetricsPoint> points)
    {
        w.WriteStartArray(name);
        foreach (var p in points)
        {
            w.WriteStartObject();
            w.WriteString("model_name"u8, p.ModelName);
            w.WriteString("model_version"u8, p.ModelVersion);
            w.WriteBoolean("shadow"u8, p.Shadow);
            w.WriteNumber("timestamp"u8, p.BucketStartMs);
            w.WriteNumber("requests"u8, p.Requests);
            w.WriteNumber("errors"u8, p.Errors);
            w.WriteNumber("error_rate"u8, p.ErrorRate);
            w.WriteNumber("latency_p50_ms"u8, p.LatencyP50Ms);
            w.WriteNumber("latency_p95_ms"u8, p.LatencyP95Ms);
            w.WriteNumber("latency_p99_ms"u8, p.LatencyP99Ms);
            w.WriteNumber("throughput_per_second"u8, p.ThroughputPerSecond);
            w.WriteNumber("cpu_ms_per_1000_predictions"u8, p.CpuMsPer1000Predictions);
            w.WriteNumber("replicas"u8, p.Replicas);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    // ---- alerts ----

    private static Command Alerts()
    {
        var group = new Command("alerts", "Alert thresholds of a deployment (error rate, latency p99, drift share), their states and events.");

        var tracking = RemoteCommand.TrackingUri();
        var deployment = Deployment(true);
        var get = new Command("get", "Show the thresholds and the state of each watched version.") { tracking, deployment };
        get.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(tracking), async client =>
        {
            var alerts = await client.GetDeploymentAlertsAsync(parse.GetValue(deployment)!, ct).ConfigureAwait(false);
            RemoteCommand.Print(w => WriteAlerts(w, alerts));
        }));
        group.Subcommands.Add(get);

        var setTracking = RemoteCommand.TrackingUri();
        var setDeployment = Deployment(true);
        var errorRate = new Option<double?>("--error-rate") { Description = "Alert when this share (0..1) of a version's requests fail over the window." };
        var latency = new Option<double?>("--latency-p99-ms") { Description = "Alert when a version's latency p99 over the window is above this many milliseconds." };
        var driftShare = new Option<double?>("--drift-share") { Description = "Alert when a drift run finds at least this share (0..1) of features drifted." };
        var window = new Option<int?>("--window-minutes") { Description = "Minutes of service metrics the error rate and latency are judged over (default 5)." };
        var minRequests = new Option<long?>("--min-requests") { Description = "Fewer requests in the window leave a version's alerts as they are (default 1)." };
        var set = new Command("set", "Replace the thresholds: a threshold not given is not watched.")
        {
            setTracking, setDeployment, errorRate, latency, driftShare, window, minRequests,
        };
        set.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(setTracking), async client =>
        {
            var alerts = await client.SetDeploymentAlertsAsync(
                parse.GetValue(setDeployment)!, parse.GetValue(errorRate), parse.GetValue(latency), parse.GetValue(driftShare), parse.GetValue(window),
                parse.GetValue(minRequests), ct).ConfigureAwait(false);
            RemoteCommand.Print(w => WriteAlerts(w, alerts));
        }));
        group.Subcommands.Add(set);

        var eventsTracking = RemoteCommand.TrackingUri();
        var eventsDeployment = Deployment(true);
        var max = new Option<int?>("--max-results") { Description = "Most events to show (default 100)." };
        var events = new Command("events", "List the deployment's alert events (exceeded / recovered), newest first.") { eventsTracking, eventsDeployment, max };
        events.SetAction((parse, ct) => RemoteCommand.RunAsync(parse.GetValue(eventsTracking), async client =>
        {
            var page = await client.ListDeploymentAlertEventsPageAsync(parse.GetValue(eventsDeployment)!, parse.GetValue(max) ?? 100, null, ct).ConfigureAwait(false);
            RemoteCommand.Print(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("events"u8);
                foreach (var e in page.Items)
                {
                    Strata.Server.Registry.RegistryJson.WriteEvent(w, e);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            });
        }));
        group.Subcommands.Add(events);
        return group;
    }

    private static void WriteAlerts(Utf8JsonWriter w, DeploymentAlerts alerts)
    {
        w.WriteStartObject();
        MonitoringJsonWriter.WriteThresholds(w, alerts.Thresholds, alerts.States);
        w.WriteEndObject();
    }

    // ---- shared ----

    private static (DateTimeOffset? From, DateTimeOffset? To) Window(string? from, string? to, string? since)
    {
        if (from is not null && since is not null)
        {
            throw MlflowException.InvalidParameter("Give --from or --since, not both.");
        }

        var end = Time(to, "--to");
        var start = Time(from, "--from");
        if (since is not null)
        {
            start = DurationText.TryParse(since, out var age)
                ? (end ?? DateTimeOffset.UtcNow) - age
                : throw MlflowException.InvalidParameter($"--since must be an age such as 30m, 1h or 7d, got '{since}'.");
        }

        return (start, end);
    }

    private static DateTimeOffset? Time(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)
            ? when
            : throw MlflowException.InvalidParameter($"{option} must be an ISO 8601 time or epoch milliseconds, got '{text}'.");
    }
}
