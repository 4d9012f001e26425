using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    internal const string ExperimentColumns =
        "experiment_id AS ExperimentId, name AS Name, artifact_location AS ArtifactLocation, lifecycle_stage AS LifecycleStage, " +
        "creation_time AS CreationTime, last_update_time AS LastUpdateTime";

    public Task EnsureDefaultExperimentAsync(string defaultArtifactRoot, long now, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                // ON CONFLICT covers a replica racing us on PostgreSQL; the WHERE keeps a user's own
                // "Default" experiment from being mistaken for a clash on SQLite.
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                    SELECT 0, 'Default', @location, 'active', @now, @now
                    WHERE NOT EXISTS (SELECT 1 FROM experiments WHERE experiment_id = 0)
                    ON CONFLICT DO NOTHING
                    """,
                    new { location = JoinUri(defaultArtifactRoot, "0"), now }, tx, token)).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task<string> CreateExperimentAsync(NewExperiment experiment, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                await RequireUniqueExperimentNameAsync(c, tx, experiment.Name, token).ConfigureAwait(false);
                long id;
                try
                {
                    id = await c.ExecuteScalarAsync<long>(Cmd(
                        """
                        INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                        VALUES (@Name, @location, 'active', @CreationTime, @CreationTime)
                        RETURNING experiment_id
                        """,
                        new { experiment.Name, location = experiment.ArtifactLocation ?? "", experiment.CreationTime }, tx, token)).ConfigureAwait(false);
                }
                catch (Exception ex) when (_dialect.IsUniqueViolation(ex))
                {
                    throw ExperimentNameTaken(experiment.Name);
                }

                if (string.IsNullOrEmpty(experiment.ArtifactLocation))
                {
                    // The default location names the id, known only after the insert.
                    await c.ExecuteAsync(Cmd(
                        "UPDATE experiments SET artifact_location = @location WHERE experiment_id = @id",
                        new { location = JoinUri(experiment.DefaultArtifactRoot, id.ToString(System.Globalization.CultureInfo.InvariantCulture)), id },
                        tx, token)).ConfigureAwait(false);
                }

                await UpsertExperimentTagsAsync(c, tx, id, experiment.Tags, token).ConfigureAwait(false);
                return id.ToString(System.Globalization.CultureInfo.InvariantCulture);
            },
            ct);

    public Task<Experiment?> GetExperimentAsync(string experimentId, CancellationToken ct)
    {
        if (!TryParseExperimentId(experimentId, out var id))
        {
            return Task.FromResult<Experiment?>(null);
        }

        return database.ReadAsync(
            async (c, token) =>
            {
                var row = await c.QuerySingleOrDefaultAsync<ExperimentRow>(
                    Cmd($"SELECT {ExperimentColumns} FROM experiments WHERE experiment_id = @id", new { id }, null, token)).ConfigureAwait(false);
                return row is null ? null : (await LoadExperimentsAsync(c, [row], token).ConfigureAwait(false))[0];
            },
            ct);
    }

    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken ct) =>
        database.ReadAsync(
            async (c, token) =>
            {
                // Names are unique among all experiments here; the order still lets an active one win
                // should a database ever hold both (as MLflow's contract describes).
                var row = await c.QueryFirstOrDefaultAsync<ExperimentRow>(Cmd(
                    $"SELECT {ExperimentColumns} FROM experiments WHERE name = @name ORDER BY CASE WHEN lifecycle_stage = 'active' THEN 0 ELSE 1 END",
                    new { name }, null, token)).ConfigureAwait(false);
                return row is null ? null : (await LoadExperimentsAsync(c, [row], token).ConfigureAwait(false))[0];
            },
            ct);

    public Task DeleteExperimentAsync(string experimentId, long now, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, experimentId, token).ConfigureAwait(false);
                if (experiment.ExperimentId == 0)
                {
                    throw MlflowException.InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
                }

                await SetExperimentStageAsync(c, tx, experiment.ExperimentId, LifecycleStages.DeletedName, now, token).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task RestoreExperimentAsync(string experimentId, long now, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, experimentId, token).ConfigureAwait(false);
                if (experiment.LifecycleStage != LifecycleStages.DeletedName)
                {
                    throw MlflowException.NotFound($"Cannot restore experiment {experimentId}: it is not deleted.");
                }

                await SetExperimentStageAsync(c, tx, experiment.ExperimentId, LifecycleStages.ActiveName, now, token).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, experimentId, token).ConfigureAwait(false);
                if (experiment.LifecycleStage != LifecycleStages.ActiveName)
                {
                    throw MlflowException.InvalidParameter("Cannot rename a non-active experiment.");
                }

                if (experiment.Name == newName)
                {
                    return 0;
                }

                await RequireUniqueExperimentNameAsync(c, tx, newName, token).ConfigureAwait(false);
                await c.ExecuteAsync(Cmd(
                    "UPDATE experiments SET name = @newName, last_update_time = @now WHERE experiment_id = @id",
                    new { newName, now, id = experiment.ExperimentId }, tx, token)).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task SetExperimentTagAsync(string experimentId, KeyValue tag, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, experimentId, token).ConfigureAwait(false);
                RequireActiveExperiment(experiment, "set a tag");
                await UpsertExperimentTagsAsync(c, tx, experiment.ExperimentId, [tag], token).ConfigureAwait(false);
                return 0;
            },
            ct);

    public Task DeleteExperimentTagAsync(string experimentId, string key, CancellationToken ct) =>
        database.WriteAsync(
            async (c, tx, token) =>
            {
                var experiment = await RequireExperimentAsync(c, tx, experimentId, token).ConfigureAwait(false);
                RequireActiveExperiment(experiment, "delete a tag");
                var deleted = await c.ExecuteAsync(Cmd(
                    "DELETE FROM experiment_tags WHERE experiment_id = @id AND key = @key",
                    new { id = experiment.ExperimentId, key }, tx, token)).ConfigureAwait(false);
                if (deleted == 0)
                {
                    throw MlflowException.NotFound($"No tag with name: {key} in experiment with id {experimentId}");
                }

                return 0;
            },
            ct);

    private static MlflowException ExperimentNameTaken(string name) =>
        MlflowException.AlreadyExists($"Experiment(name={name}) already exists. Error: the name is taken by an active or deleted experiment.");

    private static async Task RequireUniqueExperimentNameAsync(DbConnection c, DbTransaction tx, string name, CancellationToken ct)
    {
        var taken = await c.ExecuteScalarAsync<long?>(Cmd("SELECT experiment_id FROM experiments WHERE name = @name", new { name }, tx, ct)).ConfigureAwait(false);
        if (taken is not null)
        {
            throw ExperimentNameTaken(name);
        }
    }

    private static async Task SetExperimentStageAsync(DbConnection c, DbTransaction tx, long id, string stage, long now, CancellationToken ct)
    {
        var deleted = stage == LifecycleStages.DeletedName;
        await c.ExecuteAsync(Cmd(
            "UPDATE experiments SET lifecycle_stage = @stage, last_update_time = @now WHERE experiment_id = @id",
            new { stage, now, id }, tx, ct)).ConfigureAwait(false);
        await c.ExecuteAsync(Cmd(
            "UPDATE runs SET lifecycle_stage = @stage, deleted_time = @deletedTime WHERE experiment_id = @id",
            new { stage, deletedTime = deleted ? now : (long?)null, id }, tx, ct)).ConfigureAwait(false);
    }

    private async Task UpsertExperimentTagsAsync(DbConnection c, DbTransaction tx, long id, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        // Last value wins for a key repeated in one call; one row per key keeps PostgreSQL's
        // ON CONFLICT DO UPDATE from touching a row twice.
        var distinct = LastPerKey(tags);
        foreach (var chunk in Chunk(distinct, 2))
        {
            var p = new DynamicParameters();
            p.Add("id", id);
            var values = string.Join(", ", chunk.Select((t, i) =>
            {
                p.Add($"k{i}", t.Key);
                p.Add($"v{i}", t.Value);
                return $"(@id, @k{i}, @v{i})";
            }));
            await c.ExecuteAsync(Cmd(
                $"INSERT INTO experiment_tags (experiment_id, key, value) VALUES {values} ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value",
                p, tx, ct)).ConfigureAwait(false);
        }
    }

    private static List<KeyValue> LastPerKey(IReadOnlyList<KeyValue> items)
    {
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<KeyValue>(items.Count);
        foreach (var item in items)
        {
            if (byKey.TryGetValue(item.Key, out var index))
            {
                result[index] = item;
            }
            else
            {
                byKey[item.Key] = result.Count;
                result.Add(item);
            }
        }

        return result;
    }

    /// <summary>Experiments with their tags, in the order given, in one extra query (ids as one list parameter).</summary>
    internal async Task<List<Experiment>> LoadExperimentsAsync(DbConnection c, IReadOnlyList<ExperimentRow> rows, CancellationToken ct)
    {
        var tags = new Dictionary<long, List<KeyValue>>();
        if (rows.Count > 0)
        {
            var tagRows = await c.QueryAsync<OwnedKeyValueRow>(Cmd(
                "SELECT CAST(experiment_id AS TEXT) AS OwnerId, key AS Key, value AS Value FROM experiment_tags " +
                $"WHERE experiment_id IN (SELECT value FROM {_dialect.ListTable("@ids", "l")}) ORDER BY experiment_id, key",
                new { ids = _dialect.IntegerListValue(rows.Select(r => r.ExperimentId).ToList()) }, null, ct)).ConfigureAwait(false);
            foreach (var t in tagRows)
            {
                var id = long.Parse(t.OwnerId, System.Globalization.CultureInfo.InvariantCulture);
                if (!tags.TryGetValue(id, out var list))
                {
                    tags[id] = list = [];
                }

                list.Add(new KeyValue(t.Key, t.Value));
            }
        }

        return rows.Select(r => new Experiment(
            r.ExperimentId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r.Name,
            r.ArtifactLocation,
            LifecycleStages.Parse(r.LifecycleStage),
            r.CreationTime,
            r.LastUpdateTime,
            tags.TryGetValue(r.ExperimentId, out var t) ? t : [])).ToList();
    }
}
