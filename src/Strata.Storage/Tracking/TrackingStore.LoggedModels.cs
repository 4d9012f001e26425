using System.Data.Common;
using System.Text.Json;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    /// <summary>The tag MLflow keeps a logged model's registrations in, as a JSON list of {name, version}.</summary>
    internal const string ModelVersionsTag = "mlflow.modelVersions";

    internal const string LoggedModelColumns =
        "lm.model_id AS ModelId, lm.experiment_id AS ExperimentId, lm.name AS Name, lm.artifact_uri AS ArtifactUri, lm.status AS Status, " +
        "lm.status_message AS StatusMessage, lm.creation_timestamp_ms AS CreationTimestampMs, lm.last_updated_timestamp_ms AS LastUpdatedTimestampMs, " +
        "lm.creator_id AS CreatorId, lm.model_type AS ModelType, lm.source_run_id AS SourceRunId";

    public Task<LoggedModel> CreateLoggedModelAsync(NewLoggedModel model, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, model.ExperimentId, token).ConfigureAwait(false);
                RequireActiveExperiment(experiment, "create a logged model");
                var artifactUri = JoinUri(experiment.ArtifactLocation, "models/" + model.ModelId + "/artifacts");
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO logged_models (model_id, experiment_id, name, artifact_uri, status, status_message, creation_timestamp_ms,
                                               last_updated_timestamp_ms, creator_id, model_type, source_run_id, lifecycle_stage)
                    VALUES (@ModelId, @experimentId, @Name, @artifactUri, @status, NULL, @CreationTimestampMs, @CreationTimestampMs,
                            @CreatorId, @ModelType, @SourceRunId, 'active')
                    """,
                    new
                    {
                        model.ModelId,
                        experimentId = experiment.ExperimentId,
                        model.Name,
                        artifactUri,
                        status = nameof(LoggedModelStatus.LOGGED_MODEL_PENDING),
                        model.CreationTimestampMs,
                        model.CreatorId,
                        model.ModelType,
                        model.SourceRunId,
                    },
                    tx, token)).ConfigureAwait(false);
                await UpsertModelKeyValuesAsync(c, tx, "logged_model_params", model.ModelId, model.Params, token).ConfigureAwait(false);
                await UpsertModelKeyValuesAsync(c, tx, "logged_model_tags", model.ModelId, model.Tags, token).ConfigureAwait(false);
                return (await LoadLoggedModelsAsync(c, tx, [await RequireLoggedModelAsync(c, tx, model.ModelId, token).ConfigureAwait(false)], token).ConfigureAwait(false))[0];
            },
            ct);

    public Task<LoggedModel?> GetLoggedModelAsync(string modelId, CancellationToken ct) =>
        database.ReadAsync(
            async (c, token) =>
            {
                var row = await FindLoggedModelAsync(c, null, modelId, token).ConfigureAwait(false);
                return row is null ? null : (await LoadLoggedModelsAsync(c, null, [row], token).ConfigureAwait(false))[0];
            },
            ct);

    public Task<LoggedModel> FinalizeLoggedModelAsync(string modelId, LoggedModelStatus status, long now, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireLoggedModelAsync(c, tx, modelId, token).ConfigureAwait(false);
                await c.ExecuteAsync(Cmd(
                    "UPDATE logged_models SET status = @status, last_updated_timestamp_ms = @now WHERE model_id = @modelId",
                    new { status = status.ToString(), now, modelId }, tx, token)).ConfigureAwait(false);
                return (await LoadLoggedModelsAsync(c, tx, [await RequireLoggedModelAsync(c, tx, modelId, token).ConfigureAwait(false)], token).ConfigureAwait(false))[0];
            },
            ct);

    public Task DeleteLoggedModelAsync(string modelId, long now, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireLoggedModelAsync(c, tx, modelId, token).ConfigureAwait(false);
                await c.ExecuteAsync(Cmd(
                    "UPDATE logged_models SET lifecycle_stage = 'deleted', last_updated_timestamp_ms = @now WHERE model_id = @modelId",
                    new { now, modelId }, tx, token)).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task SetLoggedModelTagsAsync(string modelId, IReadOnlyList<KeyValue> tags, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireLoggedModelAsync(c, tx, modelId, token).ConfigureAwait(false);
                await UpsertModelKeyValuesAsync(c, tx, "logged_model_tags", modelId, tags, token).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task DeleteLoggedModelTagAsync(string modelId, string key, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireLoggedModelAsync(c, tx, modelId, token).ConfigureAwait(false);
                var deleted = await c.ExecuteAsync(Cmd(
                    "DELETE FROM logged_model_tags WHERE model_id = @modelId AND key = @key", new { modelId, key }, tx, token)).ConfigureAwait(false);
                if (deleted == 0)
                {
                    throw MlflowException.NotFound($"No tag with key '{key}' found for logged model {modelId}.");
                }

                return 0;
            },
            ct);

    public Task LogLoggedModelParamsAsync(string modelId, IReadOnlyList<KeyValue> parameters, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireLoggedModelAsync(c, tx, modelId, token).ConfigureAwait(false);
                await UpsertModelKeyValuesAsync(c, tx, "logged_model_params", modelId, parameters, token).ConfigureAwait(false);
                return 0;
            },
            ct);

    private static Task<LoggedModelRow?> FindLoggedModelAsync(DbConnection c, DbTransaction? tx, string modelId, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<LoggedModelRow>(Cmd(
            $"SELECT {LoggedModelColumns} FROM logged_models lm WHERE lm.model_id = @modelId AND lm.lifecycle_stage = 'active'",
            new { modelId }, tx, ct))!;

    private static async Task<LoggedModelRow> RequireLoggedModelAsync(DbConnection c, DbTransaction tx, string modelId, CancellationToken ct) =>
        await FindLoggedModelAsync(c, tx, modelId, ct).ConfigureAwait(false)
        ?? throw MlflowException.NotFound($"Logged model with ID '{modelId}' not found.");

    /// <summary>Table names here are constants of this class, never input.</summary>
    private async Task UpsertModelKeyValuesAsync(DbConnection c, DbTransaction tx, string table, string modelId, IReadOnlyList<KeyValue> items, CancellationToken ct)
    {
        foreach (var chunk in Chunk(LastPerKey(items), 2))
        {
            var p = new DynamicParameters();
            p.Add("m", modelId);
            var values = string.Join(", ", chunk.Select((kv, i) =>
            {
                p.Add($"k{i}", kv.Key);
                p.Add($"v{i}", kv.Value);
                return $"(@m, @k{i}, @v{i})";
            }));
            await c.ExecuteAsync(Cmd(
                $"INSERT INTO {table} (model_id, key, value) VALUES {values} ON CONFLICT (model_id, key) DO UPDATE SET value = excluded.value",
                p, tx, ct)).ConfigureAwait(false);
        }
    }

    internal async Task<List<LoggedModel>> LoadLoggedModelsAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<LoggedModelRow> rows, CancellationToken ct)
    {
        var parameters = new Dictionary<string, List<KeyValue>>(StringComparer.Ordinal);
        var tags = new Dictionary<string, List<KeyValue>>(StringComparer.Ordinal);
        var metrics = new Dictionary<string, List<Metric>>(StringComparer.Ordinal);
        if (rows.Count > 0)
        {
            var ids = _dialect.TextListValue(rows.Select(r => r.ModelId).ToList());
            var list = _dialect.ListTable("@ids", "l");
            using var grid = await c.QueryMultipleAsync(Cmd(
                $"""
                SELECT model_id AS OwnerId, key AS Key, value AS Value FROM logged_model_params WHERE model_id IN (SELECT value FROM {list}) ORDER BY model_id, key;
                SELECT model_id AS OwnerId, key AS Key, value AS Value FROM logged_model_tags WHERE model_id IN (SELECT value FROM {list}) ORDER BY model_id, key;
                SELECT model_id AS ModelId, run_id AS RunId, key AS Key, value AS Value, is_nan AS IsNan, timestamp AS Timestamp, step AS Step,
                       dataset_name AS DatasetName, dataset_digest AS DatasetDigest
                    FROM logged_model_metrics WHERE model_id IN (SELECT value FROM {list}) ORDER BY model_id, key, timestamp, step
                """,
                new { ids }, tx, ct)).ConfigureAwait(false);
            foreach (var row in await grid.ReadAsync<OwnedKeyValueRow>().ConfigureAwait(false))
            {
                GetList(parameters, row.OwnerId).Add(new KeyValue(row.Key, row.Value));
            }

            foreach (var row in await grid.ReadAsync<OwnedKeyValueRow>().ConfigureAwait(false))
            {
                GetList(tags, row.OwnerId).Add(new KeyValue(row.Key, row.Value));
            }

            foreach (var row in await grid.ReadAsync<LoggedModelMetricRow>().ConfigureAwait(false))
            {
                GetList(metrics, row.ModelId).Add(row.ToMetric());
            }
        }

        return rows.Select(r =>
        {
            var modelTags = Get(tags, r.ModelId);
            var info = new LoggedModelInfo(
                r.ModelId,
                r.ExperimentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                r.Name,
                r.CreationTimestampMs,
                r.LastUpdatedTimestampMs,
                r.ArtifactUri,
                Enum.Parse<LoggedModelStatus>(r.Status),
                r.CreatorId,
                r.ModelType,
                r.SourceRunId,
                r.StatusMessage,
                modelTags,
                Registrations(modelTags));
            return new LoggedModel(info, Get(parameters, r.ModelId), Get(metrics, r.ModelId));
        }).ToList();
    }

    /// <summary>Registrations as recorded in the model's tag; a malformed tag yields none rather than failing the read.</summary>
    private static List<LoggedModelRegistration> Registrations(IReadOnlyList<KeyValue> tags)
    {
        var tag = tags.FirstOrDefault(t => t.Key == ModelVersionsTag);
        if (tag is null)
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(tag.Value);
            return doc.RootElement.ValueKind != JsonValueKind.Array
                ? []
                : doc.RootElement.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out _) && e.TryGetProperty("version", out _))
                    .Select(e => new LoggedModelRegistration(e.GetProperty("name").ToString(), e.GetProperty("version").ToString()))
                    .ToList();
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
