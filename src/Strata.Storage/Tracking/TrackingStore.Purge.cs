using System.Globalization;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

/// <summary><see cref="ITrackingPurgeStore"/>: the permanent deletions behind <c>strata gc</c>.</summary>
public sealed partial class TrackingStore : ITrackingPurgeStore
{
    public Task<IReadOnlyList<DeletedRun>> GetDeletedRunsAsync(CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<DeletedRun>>(
            async (c, token) => (await c.QueryAsync<PurgeRunRow>(Cmd(
                    $"SELECT {PurgeRunColumns} FROM runs WHERE lifecycle_stage = @stage ORDER BY run_id",
                    new { stage = LifecycleStages.DeletedName }, null, token)).ConfigureAwait(false))
                .Select(r => r.ToDeletedRun()).ToList(),
            ct);

    public Task<IReadOnlyList<DeletedExperiment>> GetDeletedExperimentsAsync(CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<DeletedExperiment>>(
            async (c, token) => (await c.QueryAsync<ExperimentRow>(Cmd(
                    $"SELECT {ExperimentColumns} FROM experiments WHERE lifecycle_stage = @stage ORDER BY experiment_id",
                    new { stage = LifecycleStages.DeletedName }, null, token)).ConfigureAwait(false))
                .Select(e => new DeletedExperiment(e.ExperimentId.ToString(CultureInfo.InvariantCulture), e.ArtifactLocation, e.LastUpdateTime))
                .ToList(),
            ct);

    public Task<IReadOnlyList<DeletedRun>> GetRunsOfExperimentAsync(string experimentId, CancellationToken ct)
    {
        if (!TryParseExperimentId(experimentId, out var id))
        {
            return Task.FromResult<IReadOnlyList<DeletedRun>>([]);
        }

        return database.ReadAsync<IReadOnlyList<DeletedRun>>(
            async (c, token) => (await c.QueryAsync<PurgeRunRow>(Cmd(
                    $"SELECT {PurgeRunColumns} FROM runs WHERE experiment_id = @id ORDER BY run_id", new { id }, null, token)).ConfigureAwait(false))
                .Select(r => r.ToDeletedRun()).ToList(),
            ct);
    }

    public Task<IReadOnlyList<PurgeableLoggedModel>> GetLoggedModelsOfExperimentAsync(string experimentId, CancellationToken ct)
    {
        if (!TryParseExperimentId(experimentId, out var id))
        {
            return Task.FromResult<IReadOnlyList<PurgeableLoggedModel>>([]);
        }

        return database.ReadAsync<IReadOnlyList<PurgeableLoggedModel>>(
            async (c, token) => (await c.QueryAsync<(string ModelId, string ArtifactUri)>(Cmd(
                    "SELECT model_id, artifact_uri FROM logged_models WHERE experiment_id = @id ORDER BY model_id", new { id }, null, token)).ConfigureAwait(false))
                .Select(m => new PurgeableLoggedModel(m.ModelId, m.ArtifactUri)).ToList(),
            ct);
    }

    public Task PurgeRunAsync(string runId, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var stages = await c.QuerySingleOrDefaultAsync<(string RunStage, string ExperimentStage)?>(Cmd(
                    "SELECT r.lifecycle_stage, e.lifecycle_stage FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id WHERE r.run_id = @runId",
                    new { runId }, tx, token)).ConfigureAwait(false);
                if (stages is not { } s)
                {
                    return 0; // purged already: a rerun after a crash
                }

                if (s.RunStage != LifecycleStages.DeletedName && s.ExperimentStage != LifecycleStages.DeletedName)
                {
                    throw MlflowException.InvalidParameter($"Run {runId} is not deleted; only deleted runs can be purged.");
                }

                // Children before parents, so the statement order also holds where foreign keys are enforced.
                foreach (var table in RunChildTables)
                {
                    await c.ExecuteAsync(Cmd($"DELETE FROM {table} WHERE run_id = @runId", new { runId }, tx, token)).ConfigureAwait(false);
                }

                await c.ExecuteAsync(Cmd("DELETE FROM runs WHERE run_id = @runId", new { runId }, tx, token)).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task PurgeExperimentAsync(string experimentId, CancellationToken ct)
    {
        if (!TryParseExperimentId(experimentId, out var id))
        {
            return Task.CompletedTask;
        }

        return database.WriteAsync(
            async (c, tx, token) =>
            {
                var stage = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                    "SELECT lifecycle_stage FROM experiments WHERE experiment_id = @id", new { id }, tx, token)).ConfigureAwait(false);
                if (stage is null)
                {
                    return 0;
                }

                if (stage != LifecycleStages.DeletedName)
                {
                    throw MlflowException.InvalidParameter($"Experiment {experimentId} is not deleted; only deleted experiments can be purged.");
                }

                var runs = await c.ExecuteScalarAsync<long>(Cmd("SELECT COUNT(*) FROM runs WHERE experiment_id = @id", new { id }, tx, token)).ConfigureAwait(false);
                if (runs > 0)
                {
                    throw MlflowException.InvalidParameter($"Experiment {experimentId} still has {runs} runs; purge them first.");
                }

                const string models = "SELECT model_id FROM logged_models WHERE experiment_id = @id";
                const string datasets = "SELECT dataset_id FROM datasets WHERE experiment_id = @id";
                string[] statements =
                [
                    $"DELETE FROM logged_model_params WHERE model_id IN ({models})",
                    $"DELETE FROM logged_model_tags WHERE model_id IN ({models})",
                    $"DELETE FROM logged_model_metrics WHERE model_id IN ({models})",
                    "DELETE FROM logged_models WHERE experiment_id = @id",
                    $"DELETE FROM input_tags WHERE dataset_id IN ({datasets})",
                    $"DELETE FROM inputs WHERE dataset_id IN ({datasets})",
                    "DELETE FROM datasets WHERE experiment_id = @id",
                    "DELETE FROM experiment_tags WHERE experiment_id = @id",
                    "DELETE FROM experiments WHERE experiment_id = @id",
                ];
                foreach (var sql in statements)
                {
                    await c.ExecuteAsync(Cmd(sql, new { id }, tx, token)).ConfigureAwait(false);
                }

                return 0;
            },
            ct);
    }

    private static readonly string[] RunChildTables =
        ["input_tags", "inputs", "params", "tags", "metric_blocks", "latest_metrics", "run_model_inputs", "run_model_outputs"];

    private const string PurgeRunColumns =
        "run_id AS RunId, experiment_id AS ExperimentId, artifact_uri AS ArtifactUri, deleted_time AS DeletedTime";

    private sealed class PurgeRunRow
    {
        public string RunId { get; set; } = "";
        public long ExperimentId { get; set; }
        public string ArtifactUri { get; set; } = "";
        public long? DeletedTime { get; set; }

        public DeletedRun ToDeletedRun() =>
            new(RunId, ExperimentId.ToString(CultureInfo.InvariantCulture), ArtifactUri, DeletedTime);
    }
}
