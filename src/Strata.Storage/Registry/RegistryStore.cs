using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using static Strata.Storage.Registry.RegistryRows;

namespace Strata.Storage.Registry;

/// <summary>
/// <see cref="IRegistryStore"/> on SQLite or PostgreSQL. Each write runs in one database
/// transaction that also appends its <c>registry_events</c> row(s); checks that need a
/// consistent view (name free, version live) are read inside that transaction.
/// </summary>
public sealed partial class RegistryStore(IDatabase database) : IRegistryStore
{
    private const int InListChunk = 500;

    private SqlDialect Dialect => database.Dialect;

    // ---- registered models ----

    public Task<RegisteredModel> CreateRegisteredModelAsync(NewRegisteredModel model, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            if (await ModelRowAsync(c, tx, model.Name, token).ConfigureAwait(false) is not null)
            {
                throw ModelExists(model.Name);
            }

            try
            {
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, description, user_id, deployment_job_id, last_version)
                    VALUES (@Name, @Now, @Now, @Description, @UserId, @DeploymentJobId, 0)
                    """,
                    new { model.Name, write.Now, model.Description, write.UserId, model.DeploymentJobId }, tx, token)).ConfigureAwait(false);
            }
            catch (Exception ex) when (Dialect.IsUniqueViolation(ex))
            {
                throw ModelExists(model.Name);
            }

            foreach (var tag in model.Tags.GroupBy(t => t.Key).Select(g => g.Last()))
            {
                await UpsertModelTagAsync(c, tx, model.Name, tag, token).ConfigureAwait(false);
            }

            var created = await LoadModelAsync(c, tx, model.Name, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.RegisteredModelCreated, model.Name, null, null, RegistryEventJson.Model(created), token).ConfigureAwait(false);
            return created;
        }, ct);

    public Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken ct) =>
        database.ReadAsync<RegisteredModel?>(async (c, token) =>
        {
            var row = await ModelRowAsync(c, null, name, token).ConfigureAwait(false);
            return row is null ? null : (await LoadModelsAsync(c, null, [row], token).ConfigureAwait(false))[0];
        }, ct);

    public Task<RegisteredModel> RenameRegisteredModelAsync(string name, string newName, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireModelAsync(c, tx, name, token).ConfigureAwait(false);
            if (name != newName && await ModelRowAsync(c, tx, newName, token).ConfigureAwait(false) is not null)
            {
                throw ModelExists(newName);
            }

            try
            {
                // Children follow through ON UPDATE CASCADE.
                await c.ExecuteAsync(Cmd(
                    "UPDATE registered_models SET name = @newName, last_updated_timestamp = @Now WHERE name = @name",
                    new { name, newName, write.Now }, tx, token)).ConfigureAwait(false);
            }
            catch (Exception ex) when (Dialect.IsUniqueViolation(ex))
            {
                throw ModelExists(newName);
            }

            var renamed = await LoadModelAsync(c, tx, newName, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.RegisteredModelRenamed, newName, null,
                RegistryEventJson.Of(new { name }), RegistryEventJson.Of(new { name = newName }), token).ConfigureAwait(false);
            return renamed;
        }, ct);

    public Task<RegisteredModel> UpdateRegisteredModelAsync(string name, string? description, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var before = await LoadModelAsync(c, tx, name, token).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd(
                "UPDATE registered_models SET description = COALESCE(@description, description), last_updated_timestamp = @Now WHERE name = @name",
                new { name, description, write.Now }, tx, token)).ConfigureAwait(false);
            var after = await LoadModelAsync(c, tx, name, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.RegisteredModelUpdated, name, null,
                RegistryEventJson.Model(before), RegistryEventJson.Model(after), token).ConfigureAwait(false);
            return after;
        }, ct);

    public Task DeleteRegisteredModelAsync(string name, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var before = await LoadModelAsync(c, tx, name, token).ConfigureAwait(false);
            // Versions, tags and aliases go with it (ON DELETE CASCADE).
            await c.ExecuteAsync(Cmd("DELETE FROM registered_models WHERE name = @name", new { name }, tx, token)).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.RegisteredModelDeleted, name, null, RegistryEventJson.Model(before), null, token).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task SetRegisteredModelTagAsync(string name, KeyValue tag, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireModelAsync(c, tx, name, token).ConfigureAwait(false);
            var before = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                "SELECT value FROM registered_model_tags WHERE name = @name AND key = @Key", new { name, tag.Key }, tx, token)).ConfigureAwait(false);
            await UpsertModelTagAsync(c, tx, name, tag, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.RegisteredModelTagSet, name, null,
                before is null ? null : RegistryEventJson.Tag(new KeyValue(tag.Key, before)), RegistryEventJson.Tag(tag), token).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task DeleteRegisteredModelTagAsync(string name, string key, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireModelAsync(c, tx, name, token).ConfigureAwait(false);
            var before = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                "DELETE FROM registered_model_tags WHERE name = @name AND key = @key RETURNING value", new { name, key }, tx, token)).ConfigureAwait(false);
            if (before is not null)
            {
                await AppendEventAsync(c, tx, write, RegistryEventTypes.RegisteredModelTagDeleted, name, null,
                    RegistryEventJson.Tag(new KeyValue(key, before)), null, token).ConfigureAwait(false);
            }

            return 0;
        }, ct);

    public Task<IReadOnlyList<ModelVersion>> GetLatestVersionsAsync(string name, IReadOnlyList<string> stages, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<ModelVersion>>(async (c, token) =>
        {
            _ = await RequireModelAsync(c, null, name, token).ConfigureAwait(false);
            var rows = await LatestVersionRowsAsync(c, null, [name], stages, token).ConfigureAwait(false);
            var ordered = rows.OrderBy(r => IndexOf(stages, r.CurrentStage)).ToList();
            return await LoadVersionsAsync(c, null, ordered, token).ConfigureAwait(false);
        }, ct);

    public Task<ModelVersion?> GetNewestModelVersionAsync(string name, CancellationToken ct) =>
        database.ReadAsync<ModelVersion?>(async (c, token) =>
        {
            var row = await c.QueryFirstOrDefaultAsync<VersionRow>(Cmd(
                $"SELECT {VersionColumns} FROM model_versions mv WHERE mv.name = @name AND mv.current_stage <> @deleted ORDER BY mv.version DESC LIMIT 1",
                new { name, deleted = DeletedStage }, null, token)).ConfigureAwait(false);
            return row is null ? null : (await LoadVersionsAsync(c, null, [row], token).ConfigureAwait(false))[0];
        }, ct);

    // ---- aliases ----

    public Task SetAliasAsync(string name, string alias, long version, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireModelAsync(c, tx, name, token).ConfigureAwait(false);
            _ = await RequireVersionRowAsync(c, tx, name, version, token).ConfigureAwait(false);
            var before = await c.QuerySingleOrDefaultAsync<long?>(Cmd(
                "SELECT version FROM registered_model_aliases WHERE name = @name AND alias = @alias", new { name, alias }, tx, token)).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO registered_model_aliases (name, alias, version) VALUES (@name, @alias, @version)
                ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version
                """,
                new { name, alias, version }, tx, token)).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.AliasSet, name, version,
                before is null ? null : RegistryEventJson.Alias(alias, before.Value), RegistryEventJson.Alias(alias, version), token).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task DeleteAliasAsync(string name, string alias, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireModelAsync(c, tx, name, token).ConfigureAwait(false);
            var before = await c.QuerySingleOrDefaultAsync<long?>(Cmd(
                "DELETE FROM registered_model_aliases WHERE name = @name AND alias = @alias RETURNING version", new { name, alias }, tx, token)).ConfigureAwait(false);
            if (before is not null)
            {
                await AppendEventAsync(c, tx, write, RegistryEventTypes.AliasDeleted, name, before,
                    RegistryEventJson.Alias(alias, before.Value), null, token).ConfigureAwait(false);
            }

            return 0;
        }, ct);

    public Task<ModelVersion?> GetModelVersionByAliasAsync(string name, string alias, CancellationToken ct) =>
        database.ReadAsync<ModelVersion?>(async (c, token) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<VersionRow>(Cmd(
                $"""
                SELECT {VersionColumns} FROM registered_model_aliases a
                JOIN model_versions mv ON mv.name = a.name AND mv.version = a.version
                WHERE a.name = @name AND a.alias = @alias AND mv.current_stage <> @deleted
                """,
                new { name, alias, deleted = DeletedStage }, null, token)).ConfigureAwait(false);
            return row is null ? null : (await LoadVersionsAsync(c, null, [row], token).ConfigureAwait(false))[0];
        }, ct);

    // ---- shared helpers ----

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);

    private static Task<ModelRow?> ModelRowAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct) =>
        c.QuerySingleOrDefaultAsync<ModelRow>(Cmd($"SELECT {ModelColumns} FROM registered_models rm WHERE rm.name = @name", new { name }, tx, ct))!;

    private static async Task<ModelRow> RequireModelAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct) =>
        await ModelRowAsync(c, tx, name, ct).ConfigureAwait(false) ?? throw RegistryService.ModelNotFound(name);

    private static async Task<VersionRow> RequireVersionRowAsync(DbConnection c, DbTransaction? tx, string name, long version, CancellationToken ct) =>
        await c.QuerySingleOrDefaultAsync<VersionRow>(Cmd(
            $"SELECT {VersionColumns} FROM model_versions mv WHERE mv.name = @name AND mv.version = @version AND mv.current_stage <> @deleted",
            new { name, version, deleted = DeletedStage }, tx, ct)).ConfigureAwait(false)
        ?? throw RegistryService.VersionNotFound(name, version);

    private async Task<RegisteredModel> LoadModelAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct)
    {
        var row = await RequireModelAsync(c, tx, name, ct).ConfigureAwait(false);
        return (await LoadModelsAsync(c, tx, [row], ct).ConfigureAwait(false))[0];
    }

    private async Task<ModelVersion> LoadVersionAsync(DbConnection c, DbTransaction? tx, string name, long version, CancellationToken ct)
    {
        var row = await RequireVersionRowAsync(c, tx, name, version, ct).ConfigureAwait(false);
        return (await LoadVersionsAsync(c, tx, [row], ct).ConfigureAwait(false))[0];
    }

    private static Task UpsertModelTagAsync(DbConnection c, DbTransaction tx, string name, KeyValue tag, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            """
            INSERT INTO registered_model_tags (name, key, value) VALUES (@name, @Key, @Value)
            ON CONFLICT (name, key) DO UPDATE SET value = excluded.value
            """,
            new { name, tag.Key, tag.Value }, tx, ct));

    /// <summary>Fills tags, aliases and latest_versions for a page of models: two round trips per chunk of names.</summary>
    private async Task<List<RegisteredModel>> LoadModelsAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<ModelRow> rows, CancellationToken ct)
    {
        var names = rows.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
        var tags = new List<TagRow>();
        var aliases = new List<AliasRow>();
        var latestRows = new List<VersionRow>();
        foreach (var chunk in names.Chunk(InListChunk))
        {
            using var grid = await c.QueryMultipleAsync(Cmd(
                $"""
                SELECT name AS Name, key AS Key, value AS Value FROM registered_model_tags WHERE name IN @chunk ORDER BY name, key;
                SELECT name AS Name, alias AS Alias, version AS Version FROM registered_model_aliases WHERE name IN @chunk ORDER BY name, alias;
                {LatestVersionsSql}
                """,
                new { chunk, stages = ModelStages.All }, tx, ct)).ConfigureAwait(false);
            tags.AddRange(await grid.ReadAsync<TagRow>().ConfigureAwait(false));
            aliases.AddRange(await grid.ReadAsync<AliasRow>().ConfigureAwait(false));
            latestRows.AddRange(await grid.ReadAsync<VersionRow>().ConfigureAwait(false));
        }

        var latest = await LoadVersionsAsync(c, tx, latestRows, ct).ConfigureAwait(false);
        var tagsBy = tags.ToLookup(t => t.Name, StringComparer.Ordinal);
        var aliasesBy = aliases.ToLookup(a => a.Name, StringComparer.Ordinal);
        var latestBy = latest.ToLookup(v => v.Name, StringComparer.Ordinal);
        return rows.Select(r => new RegisteredModel(
            r.Name, r.CreationTimestamp, r.LastUpdatedTimestamp, r.UserId, r.Description,
            latestBy[r.Name].OrderBy(v => IndexOf(ModelStages.All, v.CurrentStage)).ToList(),
            tagsBy[r.Name].Select(t => new KeyValue(t.Key, t.Value)).ToList(),
            aliasesBy[r.Name].Select(a => new RegisteredModelAlias(a.Alias, a.Version)).ToList(),
            r.DeploymentJobId)).ToList();
    }

    /// <summary>Fills tags and aliases for version rows, keeping their order: one round trip per chunk of rows.</summary>
    private static async Task<List<ModelVersion>> LoadVersionsAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<VersionRow> rows, CancellationToken ct)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var tags = new List<TagRow>();
        var aliases = new List<AliasRow>();
        foreach (var chunk in rows.Chunk(InListChunk))
        {
            // The IN lists select a superset (every listed name with every listed version); the lookups below keep exact pairs.
            var names = chunk.Select(r => r.Name).Distinct(StringComparer.Ordinal).ToList();
            var versions = chunk.Select(r => r.Version).Distinct().ToList();
            using var grid = await c.QueryMultipleAsync(Cmd(
                """
                SELECT name AS Name, version AS Version, key AS Key, value AS Value FROM model_version_tags WHERE name IN @names AND version IN @versions ORDER BY key;
                SELECT name AS Name, alias AS Alias, version AS Version FROM registered_model_aliases WHERE name IN @names AND version IN @versions ORDER BY alias
                """,
                new { names, versions }, tx, ct)).ConfigureAwait(false);
            tags.AddRange(await grid.ReadAsync<TagRow>().ConfigureAwait(false));
            aliases.AddRange(await grid.ReadAsync<AliasRow>().ConfigureAwait(false));
        }

        var tagsBy = tags.ToLookup(t => (t.Name, t.Version));
        var aliasesBy = aliases.ToLookup(a => (a.Name, a.Version));
        return rows.Select(r => ToEntity(
            r,
            tagsBy[(r.Name, r.Version)].Select(t => new KeyValue(t.Key, t.Value)).ToList(),
            aliasesBy[(r.Name, r.Version)].Select(a => a.Alias).ToList())).ToList();
    }

    /// <summary>The highest version per (model, stage) among <c>@chunk</c> names and <c>@stages</c>.</summary>
    private const string LatestVersionsSql =
        $"""
        SELECT {VersionColumns} FROM model_versions mv
        WHERE mv.name IN @chunk AND mv.current_stage IN @stages
          AND mv.version = (SELECT MAX(m2.version) FROM model_versions m2 WHERE m2.name = mv.name AND m2.current_stage = mv.current_stage)
        """;

    private static async Task<List<VersionRow>> LatestVersionRowsAsync(DbConnection c, DbTransaction? tx, IReadOnlyList<string> chunk, IReadOnlyList<string> stages, CancellationToken ct)
    {
        if (chunk.Count == 0 || stages.Count == 0)
        {
            return [];
        }

        return (await c.QueryAsync<VersionRow>(Cmd(LatestVersionsSql, new { chunk, stages }, tx, ct)).ConfigureAwait(false)).ToList();
    }

    private static Task AppendEventAsync(
        DbConnection c, DbTransaction tx, RegistryWrite write, string type, string modelName, long? version, string? before, string? after, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            """
            INSERT INTO registry_events (event_time, user_id, event_type, model_name, version, before_json, after_json)
            VALUES (@Now, @UserId, @type, @modelName, @version, @before, @after)
            """,
            new { write.Now, write.UserId, type, modelName, version, before, after }, tx, ct));

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return list.Count;
    }

    private static MlflowException ModelExists(string name) =>
        MlflowException.AlreadyExists($"Registered Model (name={name}) already exists.");
}
