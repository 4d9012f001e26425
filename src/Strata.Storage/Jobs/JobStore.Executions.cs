using System.Data.Common;
using Dapper;
using Strata.Core.Jobs;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Registry;
using static Strata.Storage.Jobs.JobRows;

namespace Strata.Storage.Jobs;

/// <summary>The execution queue: queuing, claiming, leases, final states (each with its <c>job.finished</c> event), cancels.</summary>
public sealed partial class JobStore
{
    private const string ExecutionColumns =
        "x.execution_id AS Id, x.job_id AS JobId, x.job_name AS JobName, x.trigger_kind AS \"Trigger\", x.scheduled_at AS ScheduledAt, x.event_id AS EventId, " +
        "x.event_type AS EventType, x.status AS Status, x.run_id AS RunId, x.replica AS Replica, x.created_at AS CreatedAt, x.started_at AS StartedAt, " +
        "x.ended_at AS EndedAt, x.exit_code AS ExitCode, x.cancel_requested AS CancelRequested, x.error AS Error";

    public Task<JobExecution?> EnqueueAsync(string jobId, string trigger, long? scheduledAt, long now, CancellationToken ct) =>
        database.WriteAsync((c, tx, token) => InsertExecutionAsync(c, tx, jobId, trigger, scheduledAt, null, null, now, token), ct);

    public Task<IReadOnlyList<ClaimedExecution>> ClaimAsync(string replica, long now, long leaseMs, int max, CancellationToken ct) =>
        database.WriteAsync<IReadOnlyList<ClaimedExecution>>(async (c, tx, token) =>
        {
            // SKIP LOCKED lets replicas claiming together split the queue; the status condition on the update is what
            // makes a claim exclusive on both dialects. Executions held back by their job's concurrency limit stay
            // queued, so more candidates than free slots are read.
            var lockRows = Dialect.Kind == SqlDialectKind.Postgres ? " FOR UPDATE SKIP LOCKED" : string.Empty;
            var ids = (await c.QueryAsync<string>(Cmd(
                $"SELECT execution_id FROM job_executions WHERE status = '{JobExecutionStatus.Queued}' ORDER BY created_at, execution_id LIMIT @candidates{lockRows}",
                new { candidates = (max * 4) + 16 }, tx, token)).ConfigureAwait(false)).ToList();
            var claimed = new List<ClaimedExecution>(Math.Min(ids.Count, max));
            foreach (var id in ids)
            {
                if (claimed.Count >= max)
                {
                    break;
                }

                var row = await c.QuerySingleOrDefaultAsync<ExecutionRow>(Cmd(
                    $"SELECT {ExecutionColumns}, j.spec AS Spec FROM job_executions x LEFT JOIN jobs j ON j.job_id = x.job_id WHERE x.execution_id = @id",
                    new { id }, tx, token)).ConfigureAwait(false);
                if (row is null || row.Status != JobExecutionStatus.Queued)
                {
                    continue;
                }

                if (row.Spec is null)
                {
                    await CancelQueuedAsync(c, tx, id, now, "job deleted", token).ConfigureAwait(false);
                    continue;
                }

                var spec = ReadSpec(row.Spec);
                if (!await AdmitAsync(c, tx, row, spec, now, token).ConfigureAwait(false))
                {
                    continue;
                }

                var updated = await c.ExecuteAsync(Cmd(
                    $"""
                    UPDATE job_executions SET status = '{JobExecutionStatus.Running}', replica = @replica, started_at = @now, lease_until = @lease
                    WHERE execution_id = @id AND status = '{JobExecutionStatus.Queued}'
                    """,
                    new { replica, now, lease = now + leaseMs, id }, tx, token)).ConfigureAwait(false);
                if (updated == 0)
                {
                    continue;
                }

                claimed.Add(new ClaimedExecution((await LoadExecutionAsync(c, tx, id, token).ConfigureAwait(false))!, spec));
            }

            return claimed;
        }, ct);

    /// <summary>
    /// The job's concurrency policy, checked in the claim's transaction with the job's row locked on PostgreSQL, so
    /// two replicas claiming executions of one job at once see each other's (the second waits for the first to commit).
    /// Returns whether the execution may start now; a forbidden one is ended as skipped, a held-back one stays queued.
    /// </summary>
    private async Task<bool> AdmitAsync(DbConnection c, DbTransaction tx, ExecutionRow row, JobSpec spec, long now, CancellationToken ct)
    {
        var limit = spec.MaxConcurrent ?? (spec.ConcurrencyPolicy == JobConcurrencyPolicies.Allow ? (int?)null : 1);
        if (limit is not { } maxRunning)
        {
            return true;
        }

        if (Dialect.Kind == SqlDialectKind.Postgres)
        {
            await c.ExecuteAsync(Cmd("SELECT job_id FROM jobs WHERE job_id = @JobId FOR UPDATE", new { row.JobId }, tx, ct)).ConfigureAwait(false);
        }

        var running = (await c.QueryAsync<ExecutionRow>(Cmd(
            $"SELECT {ExecutionColumns} FROM job_executions x WHERE x.job_id = @JobId AND x.status = '{JobExecutionStatus.Running}' ORDER BY x.started_at, x.execution_id",
            new { row.JobId }, tx, ct)).ConfigureAwait(false)).ToList();
        var policy = row.Trigger == JobTriggers.Manual ? JobConcurrencyPolicies.Allow : spec.ConcurrencyPolicy;
        if (policy == JobConcurrencyPolicies.Replace)
        {
            // The ones already asked to stop are on their way out; the oldest of the rest make room.
            var active = running.Where(r => r.CancelRequested == 0).ToList();
            foreach (var id in active.Select(r => r.Id).Take(Math.Max(0, active.Count - maxRunning + 1)))
            {
                await c.ExecuteAsync(Cmd(
                    "UPDATE job_executions SET cancel_requested = 1 WHERE execution_id = @id", new { id }, tx, ct)).ConfigureAwait(false);
            }

            return true;
        }

        if (running.Count < maxRunning)
        {
            return true;
        }

        if (policy == JobConcurrencyPolicies.Forbid)
        {
            var reason = $"skipped: {running.Count} execution(s) of the job still running (concurrency_policy forbid, max_concurrent {maxRunning})";
            var updated = await c.ExecuteAsync(Cmd(
                $"""
                UPDATE job_executions SET status = '{JobExecutionStatus.Skipped}', ended_at = @now, error = @reason
                WHERE execution_id = @Id AND status = '{JobExecutionStatus.Queued}'
                """,
                new { now, reason, row.Id }, tx, ct)).ConfigureAwait(false);
            if (updated > 0)
            {
                var e = (await LoadExecutionAsync(c, tx, row.Id, ct).ConfigureAwait(false))!;
                await InsertFinishedEventAsync(c, tx, e, new JobOutcome(JobExecutionStatus.Skipped, null, reason, now), ct).ConfigureAwait(false);
            }
        }

        // allow with max_concurrent, or an on-demand run: it waits in the queue for a free slot.
        return false;
    }

    public Task SetRunAsync(string executionId, string runId, long now, long leaseMs, CancellationToken ct) =>
        database.WriteAsync(
            (c, tx, token) => c.ExecuteAsync(Cmd(
                $"UPDATE job_executions SET run_id = @runId, lease_until = @lease WHERE execution_id = @executionId AND status = '{JobExecutionStatus.Running}'",
                new { runId, lease = now + leaseMs, executionId }, tx, token)),
            ct);

    public Task<JobHeartbeat> HeartbeatAsync(string executionId, string replica, long now, long leaseMs, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var cancel = await c.QuerySingleOrDefaultAsync<int?>(Cmd(
                $"""
                UPDATE job_executions SET lease_until = @lease
                WHERE execution_id = @executionId AND replica = @replica AND status = '{JobExecutionStatus.Running}'
                RETURNING cancel_requested
                """,
                new { lease = now + leaseMs, executionId, replica }, tx, token)).ConfigureAwait(false);
            return new JobHeartbeat(cancel is not null, cancel is 1);
        }, ct);

    public Task<JobExecution?> FinishAsync(string executionId, string replica, JobOutcome outcome, CancellationToken ct) =>
        database.WriteAsync((c, tx, token) => FinishInTransactionAsync(c, tx, executionId, replica, outcome, token), ct);

    public Task<IReadOnlyList<JobExecution>> FailExpiredAsync(long now, CancellationToken ct) =>
        database.WriteAsync<IReadOnlyList<JobExecution>>(async (c, tx, token) =>
        {
            var lockRows = Dialect.Kind == SqlDialectKind.Postgres ? " FOR UPDATE SKIP LOCKED" : string.Empty;
            var expired = (await c.QueryAsync<(string Id, string? Replica)>(Cmd(
                $"SELECT execution_id, replica FROM job_executions WHERE status = '{JobExecutionStatus.Running}' AND lease_until < @now LIMIT 100{lockRows}",
                new { now }, tx, token)).ConfigureAwait(false)).ToList();
            var failed = new List<JobExecution>(expired.Count);
            foreach (var (id, replica) in expired)
            {
                var error = $"the replica running it ({replica}) stopped renewing its lease (it died or lost the database)";
                if (await FinishInTransactionAsync(c, tx, id, null, new JobOutcome(JobExecutionStatus.Failed, null, error, now), token, leaseExpiredBefore: now).ConfigureAwait(false) is { } e)
                {
                    failed.Add(e);
                }
            }

            return failed;
        }, ct);

    public Task<JobExecution?> CancelAsync(string executionId, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            if (await LoadExecutionAsync(c, tx, executionId, token).ConfigureAwait(false) is not { } e)
            {
                return null;
            }

            if (e.Status == JobExecutionStatus.Queued)
            {
                await CancelQueuedAsync(c, tx, executionId, now, "cancelled before it started", token).ConfigureAwait(false);
            }
            else if (e.Status == JobExecutionStatus.Running)
            {
                await c.ExecuteAsync(Cmd("UPDATE job_executions SET cancel_requested = 1 WHERE execution_id = @executionId", new { executionId }, tx, token)).ConfigureAwait(false);
            }

            return await LoadExecutionAsync(c, tx, executionId, token).ConfigureAwait(false);
        }, ct);

    public Task<JobExecution?> GetExecutionAsync(string executionId, CancellationToken ct) =>
        database.ReadAsync((c, token) => LoadExecutionAsync(c, null, executionId, token), ct);

    public Task<Page<JobExecution>> ListExecutionsAsync(string? jobId, int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        var where = jobId is null ? string.Empty : "WHERE x.job_id = @jobId ";
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<ExecutionRow>(Cmd(
                $"SELECT {ExecutionColumns} FROM job_executions x {where}ORDER BY x.created_at DESC, x.execution_id DESC LIMIT @limit OFFSET @offset",
                new { jobId, limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > maxResults;
            var page = (more ? rows.GetRange(0, maxResults) : rows).Select(r => r.ToExecution()).ToList();
            return new Page<JobExecution>(page, more ? OffsetPageToken.Encode(offset + maxResults) : null);
        }, ct);
    }

    private async Task<JobExecution?> InsertExecutionAsync(
        DbConnection c, DbTransaction tx, string jobId, string trigger, long? scheduledAt, long? eventId, string? eventType, long now, CancellationToken ct)
    {
        var id = Guid.NewGuid().ToString("N");
        var conflict = scheduledAt is not null ? Dialect.OnConflictDoNothing("job_id, scheduled_at")
            : eventId is not null ? Dialect.OnConflictDoNothing("job_id, event_id")
            : string.Empty;
        var inserted = await c.ExecuteAsync(Cmd(
            $"""
            INSERT INTO job_executions (execution_id, job_id, job_name, trigger_kind, scheduled_at, event_id, event_type, status, lease_until, created_at, cancel_requested)
            SELECT @id, job_id, name, @trigger, @scheduledAt, @eventId, @eventType, '{JobExecutionStatus.Queued}', 0, @now, 0 FROM jobs WHERE job_id = @jobId
            {conflict}
            """,
            new { id, trigger, scheduledAt, eventId, eventType, now, jobId }, tx, ct)).ConfigureAwait(false);
        return inserted == 0 ? null : await LoadExecutionAsync(c, tx, id, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The one way an execution reaches a final state: the conditional update (still running and, when given, still
    /// this replica's or still expired) and the <c>job.finished</c> event commit together or not at all.
    /// </summary>
    private static async Task<JobExecution?> FinishInTransactionAsync(
        DbConnection c, DbTransaction tx, string executionId, string? replica, JobOutcome outcome, CancellationToken ct, long? leaseExpiredBefore = null)
    {
        var updated = await c.ExecuteAsync(Cmd(
            $"""
            UPDATE job_executions SET status = @Status, exit_code = @ExitCode, error = @Error, ended_at = @EndedAt, lease_until = 0
            WHERE execution_id = @executionId AND status = '{JobExecutionStatus.Running}'
              AND (@replica IS NULL OR replica = @replica) AND (@expired IS NULL OR lease_until < @expired)
            """,
            new { outcome.Status, outcome.ExitCode, outcome.Error, outcome.EndedAt, executionId, replica, expired = leaseExpiredBefore }, tx, ct)).ConfigureAwait(false);
        if (updated == 0)
        {
            return null;
        }

        var e = (await LoadExecutionAsync(c, tx, executionId, ct).ConfigureAwait(false))!;
        await InsertFinishedEventAsync(c, tx, e, outcome, ct).ConfigureAwait(false);
        return e;
    }

    private static async Task CancelQueuedAsync(DbConnection c, DbTransaction tx, string executionId, long now, string reason, CancellationToken ct)
    {
        var updated = await c.ExecuteAsync(Cmd(
            $"""
            UPDATE job_executions SET status = '{JobExecutionStatus.Cancelled}', ended_at = @now, error = @reason
            WHERE execution_id = @executionId AND status = '{JobExecutionStatus.Queued}'
            """,
            new { now, reason, executionId }, tx, ct)).ConfigureAwait(false);
        if (updated > 0)
        {
            var e = (await LoadExecutionAsync(c, tx, executionId, ct).ConfigureAwait(false))!;
            await InsertFinishedEventAsync(c, tx, e, new JobOutcome(JobExecutionStatus.Cancelled, null, reason, now), ct).ConfigureAwait(false);
        }
    }

    private static Task InsertFinishedEventAsync(DbConnection c, DbTransaction tx, JobExecution e, JobOutcome outcome, CancellationToken ct) =>
        c.ExecuteAsync(Cmd(
            """
            INSERT INTO registry_events (event_time, user_id, event_type, model_name, version, before_json, after_json)
            VALUES (@EndedAt, NULL, @type, @JobName, NULL, NULL, @payload)
            """,
            new { outcome.EndedAt, type = JobEventTypes.Finished, e.JobName, payload = JobEventTypes.FinishedPayload(e, outcome) }, tx, ct));

    private static async Task<JobExecution?> LoadExecutionAsync(DbConnection c, DbTransaction? tx, string executionId, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<ExecutionRow>(Cmd(
            $"SELECT {ExecutionColumns} FROM job_executions x WHERE x.execution_id = @executionId", new { executionId }, tx, ct)).ConfigureAwait(false);
        return row?.ToExecution();
    }
}
