using Dapper;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using static Strata.Storage.Registry.RegistryRows;

namespace Strata.Storage.Registry;

public sealed partial class RegistryStore
{
    private const string RedactedSource = "REDACTED-SOURCE-PATH";

    public Task<ModelVersion> CreateModelVersionAsync(NewModelVersion version, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            // The counter row is bumped in this transaction: the row lock (PostgreSQL) or the single
            // writer (SQLite) serialises concurrent creates, and a rollback returns the number.
            var number = await c.QuerySingleOrDefaultAsync<long?>(Cmd(
                """
                UPDATE registered_models SET last_version = last_version + 1, last_updated_timestamp = @Now
                WHERE name = @Name RETURNING last_version
                """,
                new { version.Name, write.Now }, tx, token)).ConfigureAwait(false)
                ?? throw RegistryService.ModelNotFound(version.Name);

            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, user_id, current_stage, description,
                                            source, run_id, run_link, model_id, storage_location, status, status_message)
                VALUES (@Name, @number, @Now, @Now, @UserId, @stage, @Description, @Source, @RunId, @RunLink, @ModelId, @StorageLocation, @status, NULL)
                """,
                new
                {
                    version.Name, number, write.Now, write.UserId, stage = ModelStages.None, version.Description, version.Source,
                    version.RunId, version.RunLink, version.ModelId, version.StorageLocation, status = nameof(ModelVersionStatus.READY),
                }, tx, token)).ConfigureAwait(false);
            foreach (var tag in version.Tags.GroupBy(t => t.Key).Select(g => g.Last()))
            {
                await UpsertVersionTagAsync(c, tx, version.Name, number, tag, token).ConfigureAwait(false);
            }

            var created = await LoadVersionAsync(c, tx, version.Name, number, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionCreated, version.Name, number, null, RegistryEventJson.Version(created), token).ConfigureAwait(false);
            return created;
        }, ct);

    public Task<ModelVersion?> GetModelVersionAsync(string name, long version, CancellationToken ct) =>
        database.ReadAsync<ModelVersion?>(async (c, token) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<VersionRow>(Cmd(
                $"SELECT {VersionColumns} FROM model_versions mv WHERE mv.name = @name AND mv.version = @version AND mv.current_stage <> @deleted",
                new { name, version, deleted = DeletedStage }, null, token)).ConfigureAwait(false);
            return row is null ? null : (await LoadVersionsAsync(c, null, [row], token).ConfigureAwait(false))[0];
        }, ct);

    public Task<ModelVersion?> FindModelVersionByModelIdAsync(string modelId, CancellationToken ct) =>
        database.ReadAsync<ModelVersion?>(async (c, token) =>
        {
            var row = await c.QueryFirstOrDefaultAsync<VersionRow>(Cmd(
                $"""
                SELECT {VersionColumns} FROM model_versions mv WHERE mv.model_id = @modelId AND mv.current_stage <> @deleted
                ORDER BY mv.creation_timestamp DESC, mv.version DESC LIMIT 1
                """,
                new { modelId, deleted = DeletedStage }, null, token)).ConfigureAwait(false);
            return row is null ? null : (await LoadVersionsAsync(c, null, [row], token).ConfigureAwait(false))[0];
        }, ct);

    public Task<ModelVersion> UpdateModelVersionAsync(string name, long version, string? description, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var before = await LoadVersionAsync(c, tx, name, version, token).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd(
                """
                UPDATE model_versions SET description = COALESCE(@description, description), last_updated_timestamp = @Now
                WHERE name = @name AND version = @version
                """,
                new { name, version, description, write.Now }, tx, token)).ConfigureAwait(false);
            var after = await LoadVersionAsync(c, tx, name, version, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionUpdated, name, version,
                RegistryEventJson.Version(before), RegistryEventJson.Version(after), token).ConfigureAwait(false);
            return after;
        }, ct);

    public Task DeleteModelVersionAsync(string name, long version, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var before = await LoadVersionAsync(c, tx, name, version, token).ConfigureAwait(false);
            var key = new { name, version };
            await c.ExecuteAsync(Cmd("DELETE FROM registered_model_aliases WHERE name = @name AND version = @version", key, tx, token)).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd("DELETE FROM model_version_tags WHERE name = @name AND version = @version", key, tx, token)).ConfigureAwait(false);
            // The row stays so its number is never reused; everything it said is redacted.
            await c.ExecuteAsync(Cmd(
                """
                UPDATE model_versions SET current_stage = @deleted, source = @redacted, run_id = NULL, run_link = NULL, description = NULL,
                       status_message = NULL, storage_location = NULL, model_id = NULL, user_id = NULL, last_updated_timestamp = @Now
                WHERE name = @name AND version = @version
                """,
                new { name, version, deleted = DeletedStage, redacted = RedactedSource, write.Now }, tx, token)).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd(
                "UPDATE registered_models SET last_updated_timestamp = @Now WHERE name = @name", new { name, write.Now }, tx, token)).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionDeleted, name, version, RegistryEventJson.Version(before), null, token).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task<ModelVersion> TransitionModelVersionStageAsync(string name, long version, string stage, bool archiveExistingVersions, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var before = await LoadVersionAsync(c, tx, name, version, token).ConfigureAwait(false);
            if (archiveExistingVersions)
            {
                var others = (await c.QueryAsync<long>(Cmd(
                    "SELECT version FROM model_versions WHERE name = @name AND current_stage = @stage AND version <> @version ORDER BY version",
                    new { name, stage, version }, tx, token)).ConfigureAwait(false)).ToList();
                foreach (var other in others)
                {
                    var otherBefore = await LoadVersionAsync(c, tx, name, other, token).ConfigureAwait(false);
                    await SetStageAsync(c, tx, name, other, ModelStages.Archived, write.Now, token).ConfigureAwait(false);
                    var otherAfter = await LoadVersionAsync(c, tx, name, other, token).ConfigureAwait(false);
                    await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionStageTransitioned, name, other,
                        RegistryEventJson.Version(otherBefore), RegistryEventJson.Version(otherAfter), token).ConfigureAwait(false);
                }
            }

            await SetStageAsync(c, tx, name, version, stage, write.Now, token).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd(
                "UPDATE registered_models SET last_updated_timestamp = @Now WHERE name = @name", new { name, write.Now }, tx, token)).ConfigureAwait(false);
            var after = await LoadVersionAsync(c, tx, name, version, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionStageTransitioned, name, version,
                RegistryEventJson.Version(before), RegistryEventJson.Version(after), token).ConfigureAwait(false);
            return after;
        }, ct);

    public Task SetModelVersionTagAsync(string name, long version, KeyValue tag, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireVersionRowAsync(c, tx, name, version, token).ConfigureAwait(false);
            var before = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                "SELECT value FROM model_version_tags WHERE name = @name AND version = @version AND key = @Key",
                new { name, version, tag.Key }, tx, token)).ConfigureAwait(false);
            await UpsertVersionTagAsync(c, tx, name, version, tag, token).ConfigureAwait(false);
            await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionTagSet, name, version,
                before is null ? null : RegistryEventJson.Tag(new KeyValue(tag.Key, before)), RegistryEventJson.Tag(tag), token).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task DeleteModelVersionTagAsync(string name, long version, string key, RegistryWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            _ = await RequireVersionRowAsync(c, tx, name, version, token).ConfigureAwait(false);
            var before = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                "DELETE FROM model_version_tags WHERE name = @name AND version = @version AND key = @key RETURNING value",
                new { name, version, key }, tx, token)).ConfigureAwait(false);
            if (before is not null)
            {
                await AppendEventAsync(c, tx, write, RegistryEventTypes.ModelVersionTagDeleted, name, version,
                    RegistryEventJson.Tag(new KeyValue(key, before)), null, token).ConfigureAwait(false);
            }

            return 0;
        }, ct);

    private static Task SetStageAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string name, long version, string stage, long now, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            "UPDATE model_versions SET current_stage = @stage, last_updated_timestamp = @now WHERE name = @name AND version = @version",
            new { name, version, stage, now }, tx, ct));

    private static Task UpsertVersionTagAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string name, long version, KeyValue tag, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            """
            INSERT INTO model_version_tags (name, version, key, value) VALUES (@name, @version, @Key, @Value)
            ON CONFLICT (name, version, key) DO UPDATE SET value = excluded.value
            """,
            new { name, version, tag.Key, tag.Value }, tx, ct));
}
