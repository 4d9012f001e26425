using System.Data.Common;
using Dapper;
using Strata.Core.Policies;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Registry;

namespace Strata.Storage.Policies;

/// <summary>The engine's half: decisions from the event log, leases, and saving a decision with its event.</summary>
public sealed partial class PolicyStore
{
    private const string DecisionColumns =
        "d.decision_id AS Id, d.policy_id AS PolicyId, d.event_id AS EventId, d.model_name AS ModelName, d.version AS Version, d.status AS Status, " +
        "d.reasons AS Reasons, d.details AS Details, d.created_at AS CreatedAt, d.updated_at AS UpdatedAt, d.decided_by AS DecidedBy";

    private static readonly string[] OpenStatuses = PolicyDecision.Active.Select(s => s.ToString()).ToArray();

    /// <summary>
    /// One transaction reads the events past the cursor, creates the decisions of the new versions and moves the cursor,
    /// so a version is judged once per policy even when a process dies or two replicas run this together (the unique
    /// (policy, event) key absorbs the race; on PostgreSQL the loser's transaction also retries on the cursor row).
    /// </summary>
    public Task<int> EnqueueAsync(int maxEvents, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var cursor = await c.ExecuteScalarAsync<long>(Cmd("SELECT last_event_id FROM policy_cursor WHERE id = 1", null, tx, token)).ConfigureAwait(false);
            var events = (await c.QueryAsync<EventRow>(Cmd(
                "SELECT id AS Id, event_type AS EventType, model_name AS ModelName, version AS Version FROM registry_events WHERE id > @cursor ORDER BY id LIMIT @maxEvents",
                new { cursor, maxEvents }, tx, token)).ConfigureAwait(false)).ToList();
            if (events.Count == 0)
            {
                return 0;
            }

            var created = events.Where(e => e.EventType == RegistryEventTypes.ModelVersionCreated && e.Version is not null).ToList();
            if (created.Count > 0)
            {
                var names = created.Select(e => e.ModelName).Distinct(StringComparer.Ordinal).ToArray();
                var policies = (await c.QueryAsync<PolicyRef>(Cmd(
                    "SELECT policy_id AS Id, model_name AS ModelName, first_event_id AS FirstEventId FROM policies WHERE deleted_timestamp IS NULL AND enabled = 1 AND model_name IN @names",
                    new { names }, tx, token)).ConfigureAwait(false)).ToLookup(p => p.ModelName, StringComparer.Ordinal);
                foreach (var e in created)
                {
                    foreach (var p in policies[e.ModelName])
                    {
                        if (e.Id < p.FirstEventId)
                        {
                            continue;
                        }

                        await InsertDecisionAsync(c, tx, Guid.NewGuid().ToString("N"), p.Id, e.Id, e.ModelName, e.Version!.Value, now, token).ConfigureAwait(false);
                    }
                }
            }

            await c.ExecuteAsync(Cmd("UPDATE policy_cursor SET last_event_id = @last WHERE id = 1", new { last = events[^1].Id }, tx, token)).ConfigureAwait(false);
            return events.Count;
        }, ct);

    public Task<PolicyDecision> CreateDecisionAsync(string policyId, string modelName, long version, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var id = Guid.NewGuid().ToString("N");
            await InsertDecisionAsync(c, tx, id, policyId, null, modelName, version, now, token).ConfigureAwait(false);
            return (await LoadDecisionAsync(c, tx, id, token).ConfigureAwait(false))!;
        }, ct);

    public Task<PolicyDecision?> GetDecisionAsync(string decisionId, CancellationToken ct) =>
        database.ReadAsync((c, token) => LoadDecisionAsync(c, null, decisionId, token), ct);

    public Task<Page<PolicyDecision>> ListDecisionsAsync(string policyId, int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<DecisionRow>(Cmd(
                $"SELECT {DecisionColumns} FROM policy_decisions d WHERE d.policy_id = @policyId ORDER BY d.seq DESC, d.decision_id LIMIT @limit OFFSET @offset",
                new { policyId, limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var next = rows.Count > maxResults ? OffsetPageToken.Encode(offset + maxResults) : null;
            return new Page<PolicyDecision>(rows.Take(maxResults).Select(r => r.ToDecision()).ToList(), next);
        }, ct);
    }

    /// <summary>
    /// Open decisions of live policies whose lease ran out, oldest first, leased until now + lease. On PostgreSQL the
    /// rows are locked with SKIP LOCKED, so replicas claiming at once split the work instead of both taking it.
    /// </summary>
    public Task<IReadOnlyList<PolicyDecision>> ClaimAsync(long now, long leaseMs, int max, string? decisionId, CancellationToken ct) =>
        database.WriteAsync<IReadOnlyList<PolicyDecision>>(async (c, tx, token) =>
        {
            var lockRows = Dialect.Kind == SqlDialectKind.Postgres ? " FOR UPDATE OF d SKIP LOCKED" : string.Empty;
            var one = decisionId is null ? string.Empty : " AND d.decision_id = @decisionId";
            var rows = (await c.QueryAsync<DecisionRow>(Cmd(
                $"""
                SELECT {DecisionColumns} FROM policy_decisions d JOIN policies p ON p.policy_id = d.policy_id
                WHERE d.status IN @open AND d.lease_until <= @now AND p.deleted_timestamp IS NULL{one}
                ORDER BY d.seq LIMIT @max{lockRows}
                """,
                new { open = OpenStatuses, now, max, decisionId }, tx, token)).ConfigureAwait(false)).ToList();
            foreach (var r in rows)
            {
                await c.ExecuteAsync(Cmd(
                    "UPDATE policy_decisions SET lease_until = @until WHERE decision_id = @Id", new { until = now + leaseMs, r.Id }, tx, token)).ConfigureAwait(false);
            }

            return rows.Select(r => r.ToDecision()).ToList();
        }, ct);

    public Task<bool> SaveAsync(PolicyDecision decision, DecisionStatus expected, string? eventPayload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var reasons = PolicyJson.SerializeReasons(decision.Reasons);
        var details = PolicyJson.SerializeDetails(decision.Details);
        return database.WriteAsync(async (c, tx, token) =>
        {
            var changed = await c.ExecuteAsync(Cmd(
                """
                UPDATE policy_decisions SET status = @status, reasons = @reasons, details = @details, updated_at = @UpdatedAt, decided_by = @DecidedBy, lease_until = 0
                WHERE decision_id = @Id AND status = @expected
                """,
                new { status = decision.Status.ToString(), reasons, details, decision.UpdatedAt, decision.DecidedBy, decision.Id, expected = expected.ToString() },
                tx, token)).ConfigureAwait(false);
            if (changed == 0)
            {
                return false;
            }

            if (eventPayload is not null)
            {
                await c.ExecuteAsync(Cmd(
                    """
                    INSERT INTO registry_events (event_time, user_id, event_type, model_name, version, before_json, after_json)
                    VALUES (@UpdatedAt, @DecidedBy, @type, @ModelName, @Version, NULL, @eventPayload)
                    """,
                    new { decision.UpdatedAt, decision.DecidedBy, type = PolicyEventTypes.Decided, decision.ModelName, decision.Version, eventPayload }, tx, token)).ConfigureAwait(false);
            }

            return true;
        }, ct);
    }

    private Task InsertDecisionAsync(DbConnection c, DbTransaction tx, string id, string policyId, long? eventId, string modelName, long version, long now, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            $"""
            INSERT INTO policy_decisions (decision_id, policy_id, event_id, model_name, version, status, reasons, details, created_at, updated_at, lease_until, seq)
            VALUES (@id, @policyId, @eventId, @modelName, @version, @status, '[]', @details, @now, @now, 0, COALESCE((SELECT MAX(seq) FROM policy_decisions), 0) + 1)
            {(eventId is null ? string.Empty : Dialect.OnConflictDoNothing("policy_id, event_id"))}
            """,
            new { id, policyId, eventId, modelName, version, status = nameof(DecisionStatus.PENDING_EVALUATION), details = "{}", now }, tx, ct));

    private static async Task<PolicyDecision?> LoadDecisionAsync(DbConnection c, DbTransaction? tx, string id, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<DecisionRow>(Cmd(
            $"SELECT {DecisionColumns} FROM policy_decisions d WHERE d.decision_id = @id", new { id }, tx, ct)).ConfigureAwait(false);
        return row?.ToDecision();
    }

    private sealed class EventRow
    {
        public long Id { get; set; }
        public string EventType { get; set; } = string.Empty;
        public string ModelName { get; set; } = string.Empty;
        public long? Version { get; set; }
    }

    private sealed class PolicyRef
    {
        public string Id { get; set; } = string.Empty;
        public string ModelName { get; set; } = string.Empty;
        public long FirstEventId { get; set; }
    }

    private sealed class DecisionRow
    {
        public string Id { get; set; } = string.Empty;
        public string PolicyId { get; set; } = string.Empty;
        public long? EventId { get; set; }
        public string ModelName { get; set; } = string.Empty;
        public long Version { get; set; }
        public string Status { get; set; } = string.Empty;
        public string Reasons { get; set; } = "[]";
        public string Details { get; set; } = "{}";
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }
        public string? DecidedBy { get; set; }

        public PolicyDecision ToDecision() => new(
            Id, PolicyId, ModelName, Version, EventId, Enum.Parse<DecisionStatus>(Status), PolicyJson.DeserializeReasons(Reasons),
            PolicyJson.DeserializeDetails(Details), CreatedAt, UpdatedAt, DecidedBy);
    }
}
