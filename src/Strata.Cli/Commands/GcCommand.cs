using System.CommandLine;
using Strata.Core.Errors;
using Strata.Server.Hosting;
using Strata.Storage.Artifacts;
using Strata.Storage.Database;
using Strata.Storage.Migrations;
using Strata.Storage.Serving;
using Strata.Storage.Traces;
using Strata.Storage.Tracking;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata gc</c>: permanently deletes runs and experiments in the <c>deleted</c> stage with their
/// rows and artifacts (like <c>mlflow gc</c>).
/// </summary>
internal static class GcCommand
{
    public static Command Create()
    {
        var backend = new Option<string?>("--backend-store-uri")
        {
            Description = $"Database URI (default {StrataServerOptions.DefaultBackendStoreUri}; env STRATA_BACKEND_STORE_URI).",
        };
        var artifactsDestination = new Option<string?>("--artifacts-destination")
        {
            Description = "Where proxied (mlflow-artifacts:) artifacts are stored (default ./strata-data/artifacts; env STRATA_ARTIFACTS_DESTINATION).",
        };
        var olderThan = new Option<string?>("--older-than")
        {
            Description = "Only purge what was deleted at least this long ago, e.g. 30d, 1h30m, 1d2h3m4s; traces that started this long ago are deleted too.",
        };
        var runIds = new Option<string?>("--run-ids") { Description = "Comma-separated ids of deleted runs to purge (only these)." };
        var experimentIds = new Option<string?>("--experiment-ids")
        {
            Description = "Comma-separated ids of deleted experiments to purge, with all their runs (only these).",
        };

        var retention = new Option<string?>("--log-retention")
        {
            Description = "Also delete prediction log entries past this age and/or beyond this size, oldest first: 7d, 2GB or 7d,2GB.",
        };

        var command = new Command("gc", "Permanently delete runs and experiments in the deleted stage, with their artifacts, and traces older than --older-than.")
        {
            backend, artifactsDestination, olderThan, runIds, experimentIds, retention,
        };

        command.SetAction(async (parse, ct) =>
        {
            var defaults = new StrataServerOptions().ApplyEnvironment(Environment.GetEnvironmentVariable);
            TimeSpan? age = null;
            if (parse.GetValue(olderThan) is { } ageText)
            {
                if (!DurationText.TryParse(ageText, out var parsed))
                {
                    CliConsole.Error($"--older-than '{ageText}' is not an age like 30d, 1h30m or 1d2h3m4s.");
                    return ExitCodes.Configuration;
                }

                age = parsed;
            }

            LogRetention? keep = null;
            if (parse.GetValue(retention) is { } retentionText)
            {
                try
                {
                    keep = LogRetention.Parse(retentionText, "--log-retention");
                }
                catch (ArgumentException e)
                {
                    CliConsole.Error(e.Message);
                    return ExitCodes.Configuration;
                }
            }

            var request = new GcRequest(age, SplitIds(parse.GetValue(runIds)), SplitIds(parse.GetValue(experimentIds)));
            return await RunAsync(
                parse.GetValue(backend) ?? defaults.BackendStoreUri,
                parse.GetValue(artifactsDestination) ?? defaults.ArtifactsDestination,
                request,
                keep,
                ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string backendUri, string destination, GcRequest request, LogRetention? retention, CancellationToken ct)
    {
        IDatabase database;
        try
        {
            database = await BackendStore.OpenAsync(backendUri, null, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is BackendStoreException or SchemaTooNewException)
        {
            CliConsole.Error(ex.Message);
            return ExitCodes.Configuration;
        }

        await using (database.ConfigureAwait(false))
        {
            var factory = ArtifactStoreFactory.FromProcessEnvironment();
            try
            {
                var proxyStore = factory.Create(destination);
                using var ownedStore = proxyStore as IDisposable; // an S3 destination holds a client
                var collector = new GarbageCollector(
                    new TrackingStore(database), new ArtifactLocationResolver(proxyStore, factory), TimeProvider.System, Console.Out, new TraceStore(database));
                var result = await collector.RunAsync(request, ct).ConfigureAwait(false);
                Console.WriteLine($"Purged {result.PurgedRuns.Count} runs, {result.PurgedExperiments.Count} experiments and {result.PurgedTraces} traces.");
                if (retention is not null)
                {
                    var deleted = await database.RunExclusiveAsync(
                        "prediction-log-retention",
                        token => new PredictionLogRetention(database).ApplyAsync(retention, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), token),
                        ct).ConfigureAwait(false);
                    Console.WriteLine($"Deleted {deleted.EntriesDeleted} prediction log entries in {deleted.SegmentsDeleted} segments.");
                }

                return ExitCodes.Success;
            }
            catch (MlflowException ex)
            {
                CliConsole.Error(ex.Message);
                return ExitCodes.Failure;
            }
        }
    }

    private static IReadOnlyList<string> SplitIds(string? value) =>
        value is null ? [] : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
