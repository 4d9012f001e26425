using System.Data.Common;
using Dapper;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Registry;

namespace Strata.Storage.Deployments;

/// <summary>
/// <see cref="IDeploymentStore"/> on SQLite or PostgreSQL. A change is one transaction: insert revision N+1, then move
/// the pointer with <c>WHERE current_revision = expected</c>, so two writers that read the same revision cannot both win
/// (the loser's transaction is rolled back and answered RESOURCE_CONFLICT).
/// </summary>
public sealed class DeploymentStore(IDatabase database) : IDeploymentStore
{
    private const string RevisionColumns =
        "deployment_name AS DeploymentName, revision AS Revision, spec AS Spec, created_by AS CreatedBy, creation_timestamp AS CreationTimestamp, rolled_back_from AS RolledBackFrom";

    private const string DeploymentColumns =
        "d.name AS Name, d.creation_timestamp AS CreationTimestamp, d.last_updated_timestamp AS LastUpdatedTimestamp, " +
        "r.revision AS Revision, r.spec AS Spec, r.created_by AS CreatedBy, r.creation_timestamp AS RevisionTimestamp, r.rolled_back_from AS RolledBackFrom";

    private const string DeploymentFrom =
        "FROM deployments d JOIN deployment_revisions r ON r.deployment_name = d.name AND r.revision = d.current_revision";

    public Task<Deployment> CreateAsync(string name, DeploymentSpec spec, DeploymentWrite write, CancellationToken ct)
    {
        var json = DeploymentJson.SerializeSpec(spec);
        return database.WriteAsync(async (c, tx, token) =>
        {
            if (await c.ExecuteScalarAsync<long?>(Cmd("SELECT current_revision FROM deployments WHERE name = @name", new { name }, tx, token)).ConfigureAwait(false) is not null)
            {
                throw Exists(name);
            }

            try
            {
                await c.ExecuteAsync(Cmd(
                    "INSERT INTO deployments (name, current_revision, creation_timestamp, last_updated_timestamp) VALUES (@name, 1, @Now, @Now)",
                    new { name, write.Now }, tx, token)).ConfigureAwait(false);
            }
            catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
            {
                throw Exists(name);
            }

            await InsertRevisionAsync(c, tx, name, 1, json, null, write, token).ConfigureAwait(false);
            var created = (await LoadAsync(c, tx, name, token).ConfigureAwait(false))!;
            await AppendEventAsync(c, tx, DeploymentEvents.Created, created.Current, write, token).ConfigureAwait(false);
            return created;
        }, ct);
    }

    public Task<Deployment?> GetAsync(string name, CancellationToken ct) =>
        database.ReadAsync((c, token) => LoadAsync(c, null, name, token), ct);

    public Task<Page<Deployment>> ListAsync(int maxResults, string? pageToken, Core.Auth.ReadScope? readable, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        object parameters = new { limit = maxResults + 1, offset };

        // Permission filtering inside the query, so pages stay full and page tokens right.
        var where = "";
        if (readable is not null)
        {
            // An object-typed member: Dapper then binds the list as one array (PostgreSQL) instead of expanding it.
            object names = database.Dialect.TextListValue(readable.Except);
            parameters = new { limit = maxResults + 1, offset, names };
            where = $" WHERE d.name {(readable.ReadableByDefault ? "NOT IN" : "IN")} (SELECT rs.value FROM {database.Dialect.ListTable("@names", "rs")})";
        }

        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<DeploymentRow>(Cmd(
                $"SELECT {DeploymentColumns} {DeploymentFrom}{where} ORDER BY d.name LIMIT @limit OFFSET @offset",
                parameters, null, token)).ConfigureAwait(false)).ToList();
            var next = rows.Count > maxResults ? OffsetPageToken.Encode(offset + maxResults) : null;
            return new Page<Deployment>(rows.Take(maxResults).Select(ToDeployment).ToList(), next);
        }, ct);
    }

    public Task<Deployment> UpdateAsync(string name, long expectedRevision, DeploymentSpec spec, long? rolledBackFrom, DeploymentWrite write, CancellationToken ct)
    {
        var json = DeploymentJson.SerializeSpec(spec);
        return database.WriteAsync(async (c, tx, token) =>
        {
            var current = await c.ExecuteScalarAsync<long?>(Cmd("SELECT current_revision FROM deployments WHERE name = @name", new { name }, tx, token)).ConfigureAwait(false)
                ?? throw DeploymentService.NotFound(name);
            if (current != expectedRevision)
            {
                throw Conflict(name, expectedRevision, current);
            }

            var next = current + 1;
            try
            {
                await InsertRevisionAsync(c, tx, name, next, json, rolledBackFrom, write, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
            {
                // Another writer inserted revision N+1 first (PostgreSQL, READ COMMITTED elsewhere).
                throw Conflict(name, expectedRevision, next);
            }

            var moved = await c.ExecuteAsync(Cmd(
                "UPDATE deployments SET current_revision = @next, last_updated_timestamp = @Now WHERE name = @name AND current_revision = @expectedRevision",
                new { name, next, write.Now, expectedRevision }, tx, token)).ConfigureAwait(false);
            if (moved != 1)
            {
                throw Conflict(name, expectedRevision, next);
            }

            var updated = (await LoadAsync(c, tx, name, token).ConfigureAwait(false))!;
            await AppendEventAsync(c, tx, rolledBackFrom is null ? DeploymentEvents.Updated : DeploymentEvents.RolledBack, updated.Current, write, token).ConfigureAwait(false);
            return updated;
        }, ct);
    }

    public Task DeleteAsync(string name, DeploymentWrite write, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var last = await LoadAsync(c, tx, name, token).ConfigureAwait(false) ?? throw DeploymentService.NotFound(name);
            await c.ExecuteAsync(Cmd("DELETE FROM deployment_revisions WHERE deployment_name = @name", new { name }, tx, token)).ConfigureAwait(false);
            var deleted = await c.ExecuteAsync(Cmd("DELETE FROM deployments WHERE name = @name", new { name }, tx, token)).ConfigureAwait(false);
            if (deleted == 0)
            {
                throw DeploymentService.NotFound(name);
            }

            await AppendEventAsync(c, tx, DeploymentEvents.Deleted, last.Current, write, token).ConfigureAwait(false);
            return deleted;
        }, ct);

    public Task<DeploymentRevision?> GetRevisionAsync(string name, long revision, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<RevisionRow>(Cmd(
                $"SELECT {RevisionColumns} FROM deployment_revisions WHERE deployment_name = @name AND revision = @revision",
                new { name, revision }, null, token)).ConfigureAwait(false);
            return row is null ? null : ToRevision(row);
        }, ct);

    public Task<Page<DeploymentRevision>> ListRevisionsAsync(string name, int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<RevisionRow>(Cmd(
                $"SELECT {RevisionColumns} FROM deployment_revisions WHERE deployment_name = @name ORDER BY revision DESC LIMIT @limit OFFSET @offset",
                new { name, limit = maxResults + 1, offset }, null, token)).ConfigureAwait(false)).ToList();
            var next = rows.Count > maxResults ? OffsetPageToken.Encode(offset + maxResults) : null;
            return new Page<DeploymentRevision>(rows.Take(maxResults).Select(ToRevision).ToList(), next);
        }, ct);
    }

    public Task<IReadOnlyList<DeploymentPointer>> ListPointersAsync(CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<DeploymentPointer>>(async (c, token) =>
            (await c.QueryAsync<PointerRow>(Cmd("SELECT name AS Name, current_revision AS CurrentRevision FROM deployments ORDER BY name", null, null, token)).ConfigureAwait(false))
                .Select(r => new DeploymentPointer(r.Name, r.CurrentRevision)).ToList(), ct);

    private static Task InsertRevisionAsync(DbConnection c, DbTransaction tx, string name, long revision, string spec, long? rolledBackFrom, DeploymentWrite write, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            """
            INSERT INTO deployment_revisions (deployment_name, revision, spec, created_by, creation_timestamp, rolled_back_from)
            VALUES (@name, @revision, @spec, @UserId, @Now, @rolledBackFrom)
            """,
            new { name, revision, spec, write.UserId, write.Now, rolledBackFrom }, tx, ct));

    /// <summary>The change's row in the registry event log (the webhook outbox), in the change's own transaction.</summary>
    private static Task AppendEventAsync(DbConnection c, DbTransaction tx, string type, DeploymentRevision revision, DeploymentWrite write, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            """
            INSERT INTO registry_events (event_time, user_id, event_type, model_name, version, before_json, after_json)
            VALUES (@Now, @UserId, @type, @model, NULL, NULL, @payload)
            """,
            new { write.Now, write.UserId, type, model = DeploymentEvents.ModelOf(revision.Spec), payload = DeploymentEvents.Payload(revision.DeploymentName, revision, write.UserId) },
            tx, ct));

    private static async Task<Deployment?> LoadAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<DeploymentRow>(Cmd(
            $"SELECT {DeploymentColumns} {DeploymentFrom} WHERE d.name = @name", new { name }, tx, ct)).ConfigureAwait(false);
        return row is null ? null : ToDeployment(row);
    }

    private static Deployment ToDeployment(DeploymentRow r) => new(
        r.Name, r.CreationTimestamp, r.LastUpdatedTimestamp,
        new DeploymentRevision(r.Name, r.Revision, DeploymentJson.DeserializeSpec(r.Spec), r.RevisionTimestamp, r.CreatedBy, r.RolledBackFrom));

    private static DeploymentRevision ToRevision(RevisionRow r) =>
        new(r.DeploymentName, r.Revision, DeploymentJson.DeserializeSpec(r.Spec), r.CreationTimestamp, r.CreatedBy, r.RolledBackFrom);

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) => new(sql, parameters, tx, cancellationToken: ct);

    private static MlflowException Exists(string name) => MlflowException.AlreadyExists($"Deployment '{name}' already exists.");

    private static MlflowException Conflict(string name, long expected, long current) => new(
        ErrorCode.RESOURCE_CONFLICT,
        $"Deployment '{name}' is at revision {current}, not {expected}: it changed since you read it. Read it again and reapply your change (parameter 'revision').");

    private sealed class DeploymentRow
    {
        public string Name { get; set; } = "";
        public long CreationTimestamp { get; set; }
        public long LastUpdatedTimestamp { get; set; }
        public long Revision { get; set; }
        public string Spec { get; set; } = "";
        public string? CreatedBy { get; set; }
        public long RevisionTimestamp { get; set; }
        public long? RolledBackFrom { get; set; }
    }

    private sealed class RevisionRow
    {
        public string DeploymentName { get; set; } = "";
        public long Revision { get; set; }
        public string Spec { get; set; } = "";
        public string? CreatedBy { get; set; }
        public long CreationTimestamp { get; set; }
        public long? RolledBackFrom { get; set; }
    }

    private sealed class PointerRow
    {
        public string Name { get; set; } = "";
        public long CurrentRevision { get; set; }
    }
}
