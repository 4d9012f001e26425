using System.Data.Common;
using System.Text.Json.Nodes;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    internal const string RunColumns =
        "r.run_id AS RunId, r.experiment_id AS ExperimentId, r.name AS Name, r.user_id AS UserId, r.status AS Status, " +
        "r.start_time AS StartTime, r.end_time AS EndTime, r.artifact_uri AS ArtifactUri, r.lifecycle_stage AS LifecycleStage";

    private readonly MetricBatchWriter _metricWriter = new(database.Dialect);

    public Task<Run> CreateRunAsync(NewRun run, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, string.IsNullOrEmpty(run.ExperimentId) ? "0" : run.ExperimentId, token).ConfigureAwait(false);
                RequireActiveExperiment(experiment, "create a run");
                var artifactUri = JoinUri(experiment.ArtifactLocation, run.RunId + "/artifacts");
                try
                {
                    await c.ExecuteAsync(Cmd(
                        """
                        INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, end_time, lifecycle_stage, artifact_uri)
                        VALUES (@RunId, @experimentId, @RunName, @UserId, 'RUNNING', @StartTime, NULL, 'active', @artifactUri)
                        """,
                        new { run.RunId, experimentId = experiment.ExperimentId, run.RunName, run.UserId, run.StartTime, artifactUri },
                        tx, token)).ConfigureAwait(false);
                }
                catch (Exception ex) when (_dialect.IsUniqueViolation(ex))
                {
                    throw MlflowException.AlreadyExists($"Run with id={run.RunId} already exists.");
                }

                var tags = LastPerKey([.. run.Tags.Where(t => t.Key != RunNameTag), new KeyValue(RunNameTag, run.RunName)]);
                await UpsertRunTagsAsync(c, tx, run.RunId, tags, token).ConfigureAwait(false);
                var info = new RunInfo(run.RunId, run.RunName, experiment.ExperimentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    run.UserId, RunStatus.RUNNING, run.StartTime, null, artifactUri, LifecycleStage.Active);
                return new Run(info, new RunData([], [], tags), RunInputs.Empty, RunOutputs.Empty);
            },
            ct);

    public Task<Run?> GetRunAsync(string runId, CancellationToken ct) =>
        database.ReadAsync(
            async (c, token) =>
            {
                var row = await c.QuerySingleOrDefaultAsync<RunRow>(
                    Cmd($"SELECT {RunColumns} FROM runs r WHERE r.run_id = @runId", new { runId }, null, token)).ConfigureAwait(false);
                return row is null ? null : (await LoadRunsAsync(c, [row], token).ConfigureAwait(false))[0];
            },
            ct);

    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireActiveRunAsync(c, tx, runId, token).ConfigureAwait(false);
                await c.ExecuteAsync(Cmd(
                    """
                    UPDATE runs SET
                        status = COALESCE(@status, status),
                        end_time = COALESCE(@endTime, end_time),
                        name = COALESCE(@runName, name)
                    WHERE run_id = @runId
                    """,
                    new { status = status?.ToString(), endTime, runName = string.IsNullOrEmpty(runName) ? null : runName, runId }, tx, token)).ConfigureAwait(false);
                if (!string.IsNullOrEmpty(runName))
                {
                    await UpsertRunTagsAsync(c, tx, runId, [new KeyValue(RunNameTag, runName)], token).ConfigureAwait(false);
                }

                var row = await c.QuerySingleAsync<RunRow>(
                    Cmd($"SELECT {RunColumns} FROM runs r WHERE r.run_id = @runId", new { runId }, tx, token)).ConfigureAwait(false);
                return ToRunInfo(row);
            },
            ct);

    public Task DeleteRunAsync(string runId, long now, CancellationToken ct) =>
        SetRunStageAsync(runId, LifecycleStages.DeletedName, now, ct);

    public Task RestoreRunAsync(string runId, long now, CancellationToken ct) =>
        SetRunStageAsync(runId, LifecycleStages.ActiveName, null, ct);

    public Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<KeyValue> parameters, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        var duplicates = parameters.GroupBy(p => p.Key, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            throw MlflowException.InvalidParameter(
                $"Duplicate parameter keys have been submitted: [{string.Join(", ", duplicates.Select(d => $"'{d}'"))}]. Please ensure the request contains only one param value per param key.");
        }

        return database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireActiveRunAsync(c, tx, runId, token).ConfigureAwait(false);
                await InsertParamsAsync(c, tx, runId, parameters, token).ConfigureAwait(false);
                await _metricWriter.WriteAsync(c, tx, runId, metrics, token).ConfigureAwait(false);
                await InsertLoggedModelMetricsAsync(c, tx, runId, metrics, token).ConfigureAwait(false);
                if (tags.Count > 0)
                {
                    var distinct = LastPerKey(tags);
                    await UpsertRunTagsAsync(c, tx, runId, distinct, token).ConfigureAwait(false);
                    var runName = distinct.FirstOrDefault(t => t.Key == RunNameTag);
                    if (runName is not null)
                    {
                        await c.ExecuteAsync(Cmd("UPDATE runs SET name = @name WHERE run_id = @runId", new { name = runName.Value, runId }, tx, token)).ConfigureAwait(false);
                    }
                }

                return 0;
            },
            ct);
    }

    public Task DeleteTagAsync(string runId, string key, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireActiveRunAsync(c, tx, runId, token).ConfigureAwait(false);
                var deleted = await c.ExecuteAsync(Cmd("DELETE FROM tags WHERE run_id = @runId AND key = @key", new { runId, key }, tx, token)).ConfigureAwait(false);
                if (deleted == 0)
                {
                    throw MlflowException.NotFound($"No tag with name: {key} in run with id {runId}");
                }

                return 0;
            },
            ct);

    public Task AppendLoggedModelHistoryAsync(string runId, string modelJson, CancellationToken ct)
    {
        JsonNode model;
        try
        {
            model = JsonNode.Parse(modelJson) ?? throw new System.Text.Json.JsonException("null");
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new MlflowException(ErrorCode.INVALID_PARAMETER_VALUE, $"Malformed model info. The model_json is not valid JSON: {ex.Message}", ex);
        }

        return database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireActiveRunAsync(c, tx, runId, token).ConfigureAwait(false);
                var current = await c.ExecuteScalarAsync<string?>(Cmd(
                    "SELECT value FROM tags WHERE run_id = @runId AND key = @key", new { runId, key = LogModelHistoryTag }, tx, token)).ConfigureAwait(false);
                var history = current is null ? [] : JsonNode.Parse(current) as JsonArray ?? [];
                history.Add(model.DeepClone()); // the write may be re-run (PostgreSQL conflict retry): never move the captured node
                await UpsertRunTagsAsync(c, tx, runId, [new KeyValue(LogModelHistoryTag, history.ToJsonString())], token).ConfigureAwait(false);
                return 0;
            },
            ct);
    }

    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> datasets, IReadOnlyList<ModelInput> models, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experimentId = await RequireActiveRunAsync(c, tx, runId, token).ConfigureAwait(false);
                foreach (var input in datasets)
                {
                    var d = input.Dataset;
                    await c.ExecuteAsync(Cmd(
                        """
                        INSERT INTO datasets (experiment_id, name, digest, source_type, source, dataset_schema, profile)
                        VALUES (@experimentId, @Name, @Digest, @SourceType, @Source, @Schema, @Profile)
                        ON CONFLICT (experiment_id, name, digest) DO NOTHING
                        """,
                        new { experimentId, d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile }, tx, token)).ConfigureAwait(false);
                    var datasetId = await c.ExecuteScalarAsync<long>(Cmd(
                        "SELECT dataset_id FROM datasets WHERE experiment_id = @experimentId AND name = @Name AND digest = @Digest",
                        new { experimentId, d.Name, d.Digest }, tx, token)).ConfigureAwait(false);
                    var inserted = await c.ExecuteAsync(Cmd(
                        "INSERT INTO inputs (run_id, dataset_id) VALUES (@runId, @datasetId) ON CONFLICT DO NOTHING",
                        new { runId, datasetId }, tx, token)).ConfigureAwait(false);
                    if (inserted > 0)
                    {
                        // The same dataset logged again keeps its first tags: the call is idempotent.
                        foreach (var tag in LastPerKey(input.Tags))
                        {
                            await c.ExecuteAsync(Cmd(
                                "INSERT INTO input_tags (run_id, dataset_id, key, value) VALUES (@runId, @datasetId, @Key, @Value) ON CONFLICT DO NOTHING",
                                new { runId, datasetId, tag.Key, tag.Value }, tx, token)).ConfigureAwait(false);
                        }
                    }
                }

                foreach (var model in models)
                {
                    await c.ExecuteAsync(Cmd(
                        "INSERT INTO run_model_inputs (run_id, model_id) VALUES (@runId, @ModelId) ON CONFLICT DO NOTHING",
                        new { runId, model.ModelId }, tx, token)).ConfigureAwait(false);
                }

                return 0;
            },
            ct);

    public Task LogOutputsAsync(string runId, IReadOnlyList<ModelOutput> models, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireActiveRunAsync(c, tx, runId, token).ConfigureAwait(false);
                foreach (var model in models)
                {
                    await c.ExecuteAsync(Cmd(
                        "INSERT INTO run_model_outputs (run_id, model_id, step) VALUES (@runId, @ModelId, @Step) ON CONFLICT DO NOTHING",
                        new { runId, model.ModelId, model.Step }, tx, token)).ConfigureAwait(false);
                }

                return 0;
            },
            ct);

    private Task SetRunStageAsync(string runId, string stage, long? deletedTime, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var updated = await c.ExecuteAsync(Cmd(
                    "UPDATE runs SET lifecycle_stage = @stage, deleted_time = @deletedTime WHERE run_id = @runId",
                    new { stage, deletedTime, runId }, tx, token)).ConfigureAwait(false);
                if (updated == 0)
                {
                    throw RunNotFound(runId);
                }

                return 0;
            },
            ct);

    private async Task InsertParamsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<KeyValue> parameters, CancellationToken ct)
    {
        if (parameters.Count == 0)
        {
            return;
        }

        var existing = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in Chunk(parameters, 1))
        {
            var rows = await c.QueryAsync<OwnedKeyValueRow>(Cmd(
                "SELECT run_id AS OwnerId, key AS Key, value AS Value FROM params WHERE run_id = @runId AND key IN @keys",
                new { runId, keys = chunk.Select(p => p.Key).ToList() }, tx, ct)).ConfigureAwait(false);
            foreach (var row in rows)
            {
                existing[row.Key] = row.Value;
            }
        }

        var changed = parameters.Where(p => existing.TryGetValue(p.Key, out var old) && old != p.Value).ToList();
        if (changed.Count > 0)
        {
            var detail = string.Join(", ", changed.Select(p => $"{{'key': '{p.Key}', 'old_value': '{existing[p.Key]}', 'new_value': '{p.Value}'}}"));
            throw MlflowException.InvalidParameter(
                $"Changing param values is not allowed. Params were already logged='[{detail}]' for run ID='{runId}'.");
        }

        var fresh = parameters.Where(p => !existing.ContainsKey(p.Key)).ToList();
        foreach (var chunk in Chunk(fresh, 2))
        {
            var p = new DynamicParameters();
            p.Add("r", runId);
            var values = string.Join(", ", chunk.Select((kv, i) =>
            {
                p.Add($"k{i}", kv.Key);
                p.Add($"v{i}", kv.Value);
                return $"(@r, @k{i}, @v{i})";
            }));

            // DO NOTHING + re-check rather than a unique violation: on PostgreSQL a concurrent write may
            // have logged the same key since our read; the same value is still a no-op, another is an error.
            var inserted = await c.ExecuteAsync(Cmd(
                $"INSERT INTO params (run_id, key, value) VALUES {values} ON CONFLICT (run_id, key) DO NOTHING", p, tx, ct)).ConfigureAwait(false);
            if (inserted < chunk.Count)
            {
                var stored = (await c.QueryAsync<OwnedKeyValueRow>(Cmd(
                    "SELECT run_id AS OwnerId, key AS Key, value AS Value FROM params WHERE run_id = @runId AND key IN @keys",
                    new { runId, keys = chunk.Select(kv => kv.Key).ToList() }, tx, ct)).ConfigureAwait(false)).ToDictionary(r => r.Key, r => r.Value);
                var raced = chunk.FirstOrDefault(kv => stored[kv.Key] != kv.Value);
                if (raced is not null)
                {
                    throw MlflowException.InvalidParameter(
                        $"Changing param values is not allowed. Param with key='{raced.Key}' was already logged with value='{stored[raced.Key]}' for run ID='{runId}'. Attempted logging new value '{raced.Value}'.");
                }
            }
        }
    }

    private async Task UpsertRunTagsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        foreach (var chunk in Chunk(tags, 2))
        {
            var p = new DynamicParameters();
            p.Add("r", runId);
            var values = string.Join(", ", chunk.Select((kv, i) =>
            {
                p.Add($"k{i}", kv.Key);
                p.Add($"v{i}", kv.Value);
                return $"(@r, @k{i}, @v{i})";
            }));
            await c.ExecuteAsync(Cmd(
                $"INSERT INTO tags (run_id, key, value) VALUES {values} ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                p, tx, ct)).ConfigureAwait(false);
        }
    }

    /// <summary>Points logged against a logged model are also kept per model, for its own reads and search.</summary>
    private static async Task InsertLoggedModelMetricsAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        foreach (var m in metrics)
        {
            if (m.ModelId is null)
            {
                continue;
            }

            var isNan = double.IsNaN(m.Value);
            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO logged_model_metrics (model_id, key, run_id, timestamp, step, value, is_nan, dataset_name, dataset_digest)
                VALUES (@ModelId, @Key, @runId, @Timestamp, @Step, @value, @isNan, @DatasetName, @DatasetDigest)
                ON CONFLICT DO NOTHING
                """,
                new { m.ModelId, m.Key, runId, m.Timestamp, m.Step, value = isNan ? 0d : m.Value, isNan = isNan ? 1 : 0, m.DatasetName, m.DatasetDigest },
                tx, ct)).ConfigureAwait(false);
        }
    }

    private static RunInfo ToRunInfo(RunRow r) => new(
        r.RunId,
        r.Name,
        r.ExperimentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        r.UserId,
        Enum.Parse<RunStatus>(r.Status),
        r.StartTime,
        r.EndTime,
        r.ArtifactUri,
        LifecycleStages.Parse(r.LifecycleStage));
}
