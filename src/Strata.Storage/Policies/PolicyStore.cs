using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Policies;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Registry;

namespace Strata.Storage.Policies;

/// <summary><see cref="IPolicyStore"/> on SQLite or PostgreSQL; the decisions' half is in <c>PolicyStore.Decisions.cs</c>.</summary>
public sealed partial class PolicyStore(IDatabase database) : IPolicyStore
{
    private const string PolicyColumns =
        "policy_id AS Id, spec AS Spec, creation_timestamp AS CreationTimestamp, last_updated_timestamp AS LastUpdatedTimestamp";

    private SqlDialect Dialect => database.Dialect;

    public Task<Policy> CreateAsync(PolicySpec spec, long now, CancellationToken ct)
    {
        var json = PolicyJson.SerializeSpec(spec);
        return database.WriteAsync(async (c, tx, token) =>
        {
            var id = Guid.NewGuid().ToString("N");
            try
            {
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO policies (policy_id, name, model_name, spec, enabled, creation_timestamp, last_updated_timestamp, first_event_id)
                    VALUES (@id, @Name, @ModelName, @json, @enabled, @now, @now, COALESCE((SELECT MAX(id) FROM registry_events), 0) + 1)
                    """,
                    new { id, spec.Name, spec.ModelName, json, enabled = spec.Enabled ? 1 : 0, now }, tx, token)).ConfigureAwait(false);
            }
            catch (Exception ex) when (Dialect.IsUniqueViolation(ex))
            {
                throw NameTaken(spec);
            }

            return (await LoadAsync(c, tx, id, token).ConfigureAwait(false))!;
        }, ct);
    }

    public Task<Policy?> GetAsync(string id, CancellationToken ct) =>
        database.ReadAsync((c, token) => LoadAsync(c, null, id, token), ct);

    public Task<Page<Policy>> ListAsync(string? modelName, int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        var byModel = modelName is null ? string.Empty : " AND model_name = @modelName";
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<PolicyRow>(Cmd(
                $"SELECT {PolicyColumns} FROM policies WHERE deleted_timestamp IS NULL{byModel} ORDER BY creation_timestamp, policy_id LIMIT @limit OFFSET @offset",
                new { modelName, limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var next = rows.Count > maxResults ? OffsetPageToken.Encode(offset + maxResults) : null;
            return new Page<Policy>(rows.Take(maxResults).Select(r => r.ToPolicy()).ToList(), next);
        }, ct);
    }

    public Task<Policy?> UpdateAsync(string id, PolicySpec spec, long now, CancellationToken ct)
    {
        var json = PolicyJson.SerializeSpec(spec);
        return database.WriteAsync(async (c, tx, token) =>
        {
            int changed;
            try
            {
                changed = await c.ExecuteAsync(Cmd(
                    """
                    UPDATE policies SET name = @Name, model_name = @ModelName, spec = @json, enabled = @enabled, last_updated_timestamp = @now
                    WHERE policy_id = @id AND deleted_timestamp IS NULL
                    """,
                    new { id, spec.Name, spec.ModelName, json, enabled = spec.Enabled ? 1 : 0, now }, tx, token)).ConfigureAwait(false);
            }
            catch (Exception ex) when (Dialect.IsUniqueViolation(ex))
            {
                throw NameTaken(spec);
            }

            return changed == 0 ? null : await LoadAsync(c, tx, id, token).ConfigureAwait(false);
        }, ct);
    }

    public Task<bool> DeleteAsync(string id, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
            await c.ExecuteAsync(Cmd(
                "UPDATE policies SET deleted_timestamp = @now WHERE policy_id = @id AND deleted_timestamp IS NULL", new { id, now }, tx, token)).ConfigureAwait(false) == 1, ct);

    private static async Task<Policy?> LoadAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<PolicyRow>(Cmd(
            $"SELECT {PolicyColumns} FROM policies WHERE policy_id = @id AND deleted_timestamp IS NULL", new { id }, tx, ct)).ConfigureAwait(false);
        return row?.ToPolicy();
    }

    private static MlflowException NameTaken(PolicySpec spec) =>
        MlflowException.AlreadyExists($"Policy '{spec.Name}' already exists for registered model '{spec.ModelName}'.");

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);

    private sealed class PolicyRow
    {
        public string Id { get; set; } = string.Empty;
        public string Spec { get; set; } = string.Empty;
        public long CreationTimestamp { get; set; }
        public long LastUpdatedTimestamp { get; set; }

        public Policy ToPolicy() => new(Id, PolicyJson.DeserializeSpec(Spec), CreationTimestamp, LastUpdatedTimestamp);
    }
}
