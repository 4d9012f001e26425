using System.Data.Common;
using Dapper;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Core.Webhooks;
using Strata.Storage.Database;
using Strata.Storage.Registry;
using static Strata.Storage.Webhooks.WebhookRows;

namespace Strata.Storage.Webhooks;

/// <summary>The outbox half: turning registry events into deliveries, leasing due ones, recording attempts.</summary>
public sealed partial class WebhookStore
{
    private const string Pending = "pending";

    /// <summary>
    /// One transaction reads the events past the cursor, creates their deliveries and moves the cursor, so an event is
    /// turned into deliveries exactly once even when a process dies or two replicas run this together (the unique
    /// (webhook, event) key absorbs the race; on PostgreSQL the loser's transaction also retries on the cursor row).
    /// </summary>
    public Task<int> EnqueueAsync(int maxEvents, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var cursor = await c.ExecuteScalarAsync<long>(Cmd("SELECT last_event_id FROM webhook_dispatch_cursor WHERE id = 1", null, tx, token)).ConfigureAwait(false);
            var events = (await c.QueryAsync<EventRow>(Cmd(
                """
                SELECT id AS Id, event_time AS Timestamp, user_id AS UserId, event_type AS EventType, model_name AS ModelName,
                       version AS Version, before_json AS Before, after_json AS After
                FROM registry_events WHERE id > @cursor ORDER BY id LIMIT @maxEvents
                """,
                new { cursor, maxEvents }, tx, token)).ConfigureAwait(false)).Select(r => r.ToEvent()).ToList();
            if (events.Count == 0)
            {
                return 0;
            }

            var subscriptions = (await c.QueryAsync<SubscriptionRow>(Cmd(
                """
                SELECT w.webhook_id AS WebhookId, w.first_event_id AS FirstEventId, e.entity AS Entity, e.action AS Action
                FROM webhooks w JOIN webhook_events e ON e.webhook_id = w.webhook_id
                WHERE w.deleted_timestamp IS NULL AND w.status = 'ACTIVE'
                """,
                null, tx, token)).ConfigureAwait(false))
                .ToLookup(s => new WebhookEvent(s.Entity, s.Action), s => (s.WebhookId, s.FirstEventId));
            if (subscriptions.Count > 0)
            {
                var prompts = await PromptNamesAsync(c, tx, events, token).ConfigureAwait(false);
                foreach (var e in events)
                {
                    if (WebhookPayloads.FromRegistryEvent(e, prompts.Contains(e.ModelName)) is not { } message)
                    {
                        continue;
                    }

                    var payload = WebhookPayloads.Envelope(message.Event, DateTimeOffset.FromUnixTimeMilliseconds(e.Timestamp), message.Data);
                    foreach (var (webhookId, firstEventId) in subscriptions[message.Event])
                    {
                        if (e.Id < firstEventId)
                        {
                            continue;
                        }

                        await c.ExecuteAsync(Cmd(
                            $"""
                            INSERT INTO webhook_deliveries (delivery_id, webhook_id, event_id, entity, action, payload, state, attempts, created_at, next_attempt_at, lease_until)
                            VALUES (@id, @webhookId, @eventId, @Entity, @Action, @payload, '{Pending}', 0, @now, @now, 0)
                            {Dialect.OnConflictDoNothing("webhook_id, event_id")}
                            """,
                            new { id = Guid.NewGuid().ToString(), webhookId, eventId = e.Id, message.Event.Entity, message.Event.Action, payload, now },
                            tx, token)).ConfigureAwait(false);
                    }
                }
            }

            await c.ExecuteAsync(Cmd("UPDATE webhook_dispatch_cursor SET last_event_id = @last WHERE id = 1", new { last = events[^1].Id }, tx, token)).ConfigureAwait(false);
            return events.Count;
        }, ct);

    /// <summary>
    /// The oldest pending delivery of each active webhook, if due and not leased, leased until now + lease. Taking only
    /// the head of each webhook's queue keeps its receiver's order even across retries. On PostgreSQL the rows are
    /// locked with SKIP LOCKED, so replicas claiming at once split the work instead of waiting on each other.
    /// </summary>
    public Task<IReadOnlyList<DueDelivery>> ClaimDueAsync(long now, long leaseMs, int max, CancellationToken ct) =>
        database.WriteAsync<IReadOnlyList<DueDelivery>>(async (c, tx, token) =>
        {
            var lockRows = Dialect.Kind == SqlDialectKind.Postgres ? " FOR UPDATE OF d SKIP LOCKED" : string.Empty;
            var due = (await c.QueryAsync<DueRow>(Cmd(
                $"""
                SELECT d.delivery_id AS Id, d.webhook_id AS WebhookId, w.url AS Url, w.secret AS Secret, d.attempts AS Attempts, d.payload AS Payload
                FROM webhook_deliveries d JOIN webhooks w ON w.webhook_id = d.webhook_id
                WHERE d.state = '{Pending}' AND d.next_attempt_at <= @now AND d.lease_until <= @now
                  AND w.deleted_timestamp IS NULL AND w.status = 'ACTIVE'
                  AND d.event_id = (SELECT MIN(p.event_id) FROM webhook_deliveries p WHERE p.webhook_id = d.webhook_id AND p.state = '{Pending}')
                ORDER BY d.event_id LIMIT @max{lockRows}
                """,
                new { now, max }, tx, token)).ConfigureAwait(false)).Select(r => r.ToDue()).ToList();
            foreach (var d in due)
            {
                await c.ExecuteAsync(Cmd("UPDATE webhook_deliveries SET lease_until = @until WHERE delivery_id = @Id", new { until = now + leaseMs, d.Id }, tx, token)).ConfigureAwait(false);
            }

            return due;
        }, ct);

    public Task RecordAttemptAsync(string deliveryId, DeliveryAttempt attempt, long now, long? nextAttemptAt, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var number = await c.ExecuteScalarAsync<int>(Cmd(
                "SELECT attempts FROM webhook_deliveries WHERE delivery_id = @deliveryId", new { deliveryId }, tx, token)).ConfigureAwait(false) + 1;
            var error = attempt.Error ?? (attempt.Delivered ? null : attempt.ResponseBody);
            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO webhook_delivery_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
                VALUES (@deliveryId, @number, @started, @DurationMs, @StatusCode, @error)
                """,
                new { deliveryId, number, started = now - attempt.DurationMs, attempt.DurationMs, attempt.StatusCode, error }, tx, token)).ConfigureAwait(false);
            var state = nextAttemptAt is not null ? Pending : attempt.Delivered ? "succeeded" : "failed";
            await c.ExecuteAsync(Cmd(
                """
                UPDATE webhook_deliveries SET attempts = @number, state = @state, next_attempt_at = COALESCE(@nextAttemptAt, next_attempt_at), lease_until = 0,
                       last_attempt_at = @now, last_status_code = @StatusCode, last_error = @error
                WHERE delivery_id = @deliveryId
                """,
                new { number, state, nextAttemptAt, now, attempt.StatusCode, error, deliveryId }, tx, token)).ConfigureAwait(false);
            return 0;
        }, ct);

    public Task<Page<DeliveryRecord>> ListDeliveriesAsync(string webhookId, int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<DeliveryRow>(Cmd(
                """
                SELECT delivery_id AS Id, webhook_id AS WebhookId, event_id AS EventId, entity AS Entity, action AS Action, state AS State,
                       attempts AS Attempts, created_at AS CreatedAt, next_attempt_at AS NextAttemptAt, last_attempt_at AS LastAttemptAt,
                       last_status_code AS LastStatusCode, last_error AS LastError
                FROM webhook_deliveries WHERE webhook_id = @webhookId ORDER BY event_id DESC LIMIT @limit OFFSET @offset
                """,
                new { webhookId, limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > maxResults;
            var page = more ? rows.GetRange(0, maxResults) : rows;
            var ids = page.Select(r => r.Id).ToArray();
            var attempts = (await c.QueryAsync<AttemptRow>(Cmd(
                """
                SELECT delivery_id AS DeliveryId, attempt AS Attempt, started_at AS StartedAt, duration_ms AS DurationMs, status_code AS StatusCode, error AS Error
                FROM webhook_delivery_attempts WHERE delivery_id IN @ids ORDER BY delivery_id, attempt
                """,
                new { ids }, null, token)).ConfigureAwait(false)).ToLookup(a => a.DeliveryId);
            var records = page.Select(r => new DeliveryRecord(
                new WebhookDelivery(r.Id, r.WebhookId, r.EventId, new WebhookEvent(r.Entity, r.Action), Enum.Parse<DeliveryState>(r.State, ignoreCase: true),
                    r.Attempts, r.CreatedAt, r.NextAttemptAt, r.LastAttemptAt, r.LastStatusCode, r.LastError),
                attempts[r.Id].Select(a => new DeliveryAttemptRecord(a.Attempt, a.StartedAt, a.DurationMs, a.StatusCode, a.Error)).ToList())).ToList();
            return new Page<DeliveryRecord>(records, more ? OffsetPageToken.Encode(offset + maxResults) : null);
        }, ct);
    }

    private static async Task<HashSet<string>> PromptNamesAsync(DbConnection c, DbTransaction tx, IReadOnlyList<RegistryEvent> events, CancellationToken ct)
    {
        var names = events.Select(e => e.ModelName).Distinct(StringComparer.Ordinal).ToArray();
        var prompts = await c.QueryAsync<string>(Cmd(
            "SELECT name FROM registered_model_tags WHERE key = @key AND value = 'true' AND name IN @names",
            new { key = PromptTags.IsPrompt, names }, tx, ct)).ConfigureAwait(false);
        return prompts.ToHashSet(StringComparer.Ordinal);
    }
}
