using System.Data.Common;
using Dapper;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Core.Webhooks;
using Strata.Storage.Database;
using Strata.Storage.Registry;
using static Strata.Storage.Webhooks.WebhookRows;

namespace Strata.Storage.Webhooks;

/// <summary><see cref="IWebhookStore"/> on SQLite or PostgreSQL; the dispatcher's half is in <c>WebhookStore.Deliveries.cs</c>.</summary>
public sealed partial class WebhookStore(IDatabase database) : IWebhookStore
{
    private const string Columns =
        "webhook_id AS Id, name AS Name, description AS Description, url AS Url, status AS Status, " +
        "creation_timestamp AS CreationTimestamp, last_updated_timestamp AS LastUpdatedTimestamp";

    private SqlDialect Dialect => database.Dialect;

    public Task<Webhook> CreateAsync(
        string name, string? description, string url, IReadOnlyList<WebhookEvent> events, string? secret, WebhookStatus status, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var id = Guid.NewGuid().ToString();
            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO webhooks (webhook_id, name, description, url, secret, status, creation_timestamp, last_updated_timestamp, first_event_id)
                VALUES (@id, @name, @description, @url, @secret, @status, @now, @now, COALESCE((SELECT MAX(id) FROM registry_events), 0) + 1)
                """,
                new { id, name, description, url, secret, status = status.ToString(), now }, tx, token)).ConfigureAwait(false);
            await InsertEventsAsync(c, tx, id, events, token).ConfigureAwait(false);
            return (await LoadAsync(c, tx, id, token).ConfigureAwait(false))!;
        }, ct);

    public Task<Webhook?> GetAsync(string id, CancellationToken ct) =>
        database.ReadAsync((c, token) => LoadAsync(c, null, id, token), ct);

    public Task<string?> GetSecretAsync(string id, CancellationToken ct) =>
        database.ReadAsync((c, token) => c.QuerySingleOrDefaultAsync<string?>(Cmd(
            "SELECT secret FROM webhooks WHERE webhook_id = @id AND deleted_timestamp IS NULL", new { id }, null, token)), ct);

    /// <summary>Newest first, as MLflow lists them, with MLflow's offset page token.</summary>
    public Task<Page<Webhook>> ListAsync(int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<WebhookRow>(Cmd(
                $"SELECT {Columns} FROM webhooks WHERE deleted_timestamp IS NULL ORDER BY creation_timestamp DESC, webhook_id LIMIT @limit OFFSET @offset",
                new { limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > maxResults;
            var page = await WithEventsAsync(c, more ? rows.GetRange(0, maxResults) : rows, token).ConfigureAwait(false);
            return new Page<Webhook>(page, more ? OffsetPageToken.Encode(offset + maxResults) : null);
        }, ct);
    }

    public Task<Webhook?> UpdateAsync(string id, WebhookChanges changes, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var updated = await c.ExecuteAsync(Cmd(
                """
                UPDATE webhooks SET name = COALESCE(@Name, name), description = COALESCE(@Description, description), url = COALESCE(@Url, url),
                       secret = COALESCE(@Secret, secret), status = COALESCE(@status, status), last_updated_timestamp = @now
                WHERE webhook_id = @id AND deleted_timestamp IS NULL
                """,
                new { changes.Name, changes.Description, changes.Url, changes.Secret, status = changes.Status?.ToString(), now, id }, tx, token)).ConfigureAwait(false);
            if (updated == 0)
            {
                return null;
            }

            if (changes.Events is { } events)
            {
                await c.ExecuteAsync(Cmd("DELETE FROM webhook_events WHERE webhook_id = @id", new { id }, tx, token)).ConfigureAwait(false);
                await InsertEventsAsync(c, tx, id, events, token).ConfigureAwait(false);
            }

            return await LoadAsync(c, tx, id, token).ConfigureAwait(false);
        }, ct);

    public Task<bool> DeleteAsync(string id, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var deleted = await c.ExecuteAsync(Cmd(
                "UPDATE webhooks SET deleted_timestamp = @now WHERE webhook_id = @id AND deleted_timestamp IS NULL", new { id, now }, tx, token)).ConfigureAwait(false);
            await c.ExecuteAsync(Cmd(
                "UPDATE webhook_deliveries SET state = 'failed', last_error = 'webhook deleted' WHERE webhook_id = @id AND state = 'pending'",
                new { id }, tx, token)).ConfigureAwait(false);
            return deleted > 0;
        }, ct);

    private static async Task InsertEventsAsync(DbConnection c, DbTransaction tx, string id, IReadOnlyList<WebhookEvent> events, CancellationToken ct)
    {
        foreach (var e in events)
        {
            await c.ExecuteAsync(Cmd(
                "INSERT INTO webhook_events (webhook_id, entity, action) VALUES (@id, @Entity, @Action)", new { id, e.Entity, e.Action }, tx, ct)).ConfigureAwait(false);
        }
    }

    private static async Task<Webhook?> LoadAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<WebhookRow>(Cmd(
            $"SELECT {Columns} FROM webhooks WHERE webhook_id = @id AND deleted_timestamp IS NULL", new { id }, tx, ct)).ConfigureAwait(false);
        return row is null ? null : (await WithEventsAsync(c, [row], ct, tx).ConfigureAwait(false))[0];
    }

    private static async Task<IReadOnlyList<Webhook>> WithEventsAsync(DbConnection c, IReadOnlyList<WebhookRow> rows, CancellationToken ct, DbTransaction? tx = null)
    {
        if (rows.Count == 0)
        {
            return [];
        }

        var ids = rows.Select(r => r.Id).ToArray();
        var events = (await c.QueryAsync<WebhookEventRow>(Cmd(
            "SELECT webhook_id AS WebhookId, entity AS Entity, action AS Action FROM webhook_events WHERE webhook_id IN @ids ORDER BY webhook_id, entity, action",
            new { ids }, tx, ct)).ConfigureAwait(false))
            .ToLookup(e => e.WebhookId, e => new WebhookEvent(e.Entity, e.Action));
        return rows.Select(r => new Webhook(
            r.Id, r.Name, r.Description, r.Url, events[r.Id].ToList(), Enum.Parse<WebhookStatus>(r.Status), r.CreationTimestamp, r.LastUpdatedTimestamp)).ToList();
    }

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);
}
