using Strata.Core.Errors;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Storage.Artifacts;

namespace Strata.Cli.Commands;

/// <summary>What <c>strata gc</c> should purge: everything deleted (optionally older than an age), or only the named runs and experiments.</summary>
public sealed record GcRequest(TimeSpan? OlderThan, IReadOnlyList<string> RunIds, IReadOnlyList<string> ExperimentIds);

public sealed record GcResult(IReadOnlyList<string> PurgedRuns, IReadOnlyList<string> PurgedExperiments, int PurgedTraces = 0);

/// <summary>
/// Permanently deletes runs and experiments in the <c>deleted</c> stage (like <c>mlflow gc</c>): first
/// every argument is checked, then, per run, its artifacts and then its rows; experiments go last,
/// after their runs and their logged models' artifacts. A crash anywhere leaves rows still marked
/// deleted whose artifacts may already be gone, so running gc again finishes the job.
/// Traces are kept for as long as asked: with an age, every trace that started at least that long ago goes with its
/// span data (retention), and a purged experiment takes its traces with it.
/// </summary>
public sealed class GarbageCollector(ITrackingPurgeStore store, ArtifactLocationResolver artifacts, TimeProvider time, TextWriter log, ITraceStore? traces = null)
{
    /// <summary>Traces deleted per round: the artifacts of a batch go first, then its rows in one write.</summary>
    private const int TraceBatch = 500;

    public async Task<GcResult> RunAsync(GcRequest request, CancellationToken ct)
    {
        long? cutoff = request.OlderThan is { } age ? time.GetUtcNow().ToUnixTimeMilliseconds() - (long)age.TotalMilliseconds : null;
        bool OldEnough(long? deletedAt) => cutoff is null || (deletedAt is { } t && t <= cutoff);

        var deletedRuns = (await store.GetDeletedRunsAsync(ct)).ToDictionary(r => r.RunId, StringComparer.Ordinal);
        var deletedExperiments = (await store.GetDeletedExperimentsAsync(ct)).ToDictionary(e => e.ExperimentId, StringComparer.Ordinal);

        var runs = new List<DeletedRun>();
        var experiments = new List<DeletedExperiment>();
        if (request.RunIds.Count == 0 && request.ExperimentIds.Count == 0)
        {
            runs.AddRange(deletedRuns.Values.Where(r => OldEnough(r.DeletedTime)));
            experiments.AddRange(deletedExperiments.Values.Where(e => OldEnough(e.LastUpdateTime)));
        }
        else
        {
            foreach (var runId in request.RunIds.Distinct(StringComparer.Ordinal))
            {
                if (!deletedRuns.TryGetValue(runId, out var run))
                {
                    throw MlflowException.InvalidParameter($"Run {runId} is not in the 'deleted' lifecycle stage; only deleted runs can be purged.");
                }

                if (!OldEnough(run.DeletedTime))
                {
                    throw MlflowException.InvalidParameter($"Run {runId} was deleted less than {request.OlderThan} ago.");
                }

                runs.Add(run);
            }

            foreach (var experimentId in request.ExperimentIds.Distinct(StringComparer.Ordinal))
            {
                if (!deletedExperiments.TryGetValue(experimentId, out var experiment))
                {
                    throw MlflowException.InvalidParameter($"Experiment {experimentId} is not in the 'deleted' lifecycle stage; only deleted experiments can be purged.");
                }

                if (!OldEnough(experiment.LastUpdateTime))
                {
                    throw MlflowException.InvalidParameter($"Experiment {experimentId} was deleted less than {request.OlderThan} ago.");
                }

                experiments.Add(experiment);
            }
        }

        // An experiment takes all its runs with it, whatever their own stage or age.
        var runIds = new HashSet<string>(runs.Select(r => r.RunId), StringComparer.Ordinal);
        foreach (var experiment in experiments)
        {
            foreach (var run in await store.GetRunsOfExperimentAsync(experiment.ExperimentId, ct))
            {
                if (runIds.Add(run.RunId))
                {
                    runs.Add(run);
                }
            }
        }

        foreach (var run in runs)
        {
            await DeleteArtifactsAsync(run.ArtifactUri, $"run {run.RunId}", ct);
            await store.PurgeRunAsync(run.RunId, ct);
            await log.WriteLineAsync($"Run with ID {run.RunId} has been permanently deleted.");
        }

        var purgedTraces = 0;
        foreach (var experiment in experiments)
        {
            foreach (var model in await store.GetLoggedModelsOfExperimentAsync(experiment.ExperimentId, ct))
            {
                await DeleteArtifactsAsync(model.ArtifactUri, $"logged model {model.ModelId}", ct);
            }

            if (traces is not null)
            {
                purgedTraces += await PurgeTracesAsync(await traces.GetTracesOfExperimentAsync(experiment.ExperimentId, ct), ct);
            }

            await store.PurgeExperimentAsync(experiment.ExperimentId, ct);
            await log.WriteLineAsync($"Experiment with ID {experiment.ExperimentId} has been permanently deleted.");
        }

        if (traces is not null && cutoff is { } before && request.RunIds.Count == 0 && request.ExperimentIds.Count == 0)
        {
            IReadOnlyList<TraceRef> batch;
            while ((batch = await traces.GetTracesBeforeAsync(before, TraceBatch, ct)).Count > 0)
            {
                purgedTraces += await PurgeTracesAsync(batch, ct);
            }

            await log.WriteLineAsync($"Deleted {purgedTraces} traces that started before {DateTimeOffset.FromUnixTimeMilliseconds(before):u}.");
        }

        return new GcResult(runs.Select(r => r.RunId).ToList(), experiments.Select(e => e.ExperimentId).ToList(), purgedTraces);
    }

    /// <summary>Span data first, then the rows: a crash in between leaves rows a rerun deletes again.</summary>
    private async Task<int> PurgeTracesAsync(IReadOnlyList<TraceRef> batch, CancellationToken ct)
    {
        foreach (var trace in batch)
        {
            if (!string.IsNullOrEmpty(trace.ArtifactLocation))
            {
                await DeleteArtifactsAsync(trace.ArtifactLocation, $"trace {trace.TraceId}", ct);
            }
        }

        return await traces!.PurgeTracesAsync(batch.Select(t => t.TraceId).ToList(), ct);
    }

    private async Task DeleteArtifactsAsync(string artifactUri, string owner, CancellationToken ct)
    {
        using var location = artifacts.Resolve(artifactUri);
        if (location.Path.Length == 0)
        {
            // The URI is a store's root (e.g. "mlflow-artifacts:/"): deleting it would take everyone's artifacts.
            throw MlflowException.InvalidParameter($"Refusing to delete the artifacts of {owner}: its artifact URI '{artifactUri}' is the root of an artifact store.");
        }

        await location.Store.DeleteAsync(location.Path, ct);
    }
}
