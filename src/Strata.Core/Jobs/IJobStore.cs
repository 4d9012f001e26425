using Strata.Core.Tracking;

namespace Strata.Core.Jobs;

/// <summary>
/// Jobs and their executions. Exactly-once comes from constraints: a scheduled occurrence is a row unique by
/// (job, scheduled time), an event trigger a row unique by (job, event); a queued row is claimed by one process
/// (a conditional update, rows locked with SKIP LOCKED on PostgreSQL), which then renews a lease while it runs.
/// Every final state is written with its <c>job.finished</c> row of <c>registry_events</c> in one transaction.
/// </summary>
public interface IJobStore
{
    /// <summary>Throws RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task<Job> CreateAsync(string name, JobSpec spec, long now, CancellationToken ct);

    Task<Job?> GetAsync(string name, CancellationToken ct);

    Task<Page<Job>> ListAsync(int maxResults, string? pageToken, CancellationToken ct);

    /// <summary>Replaces the spec; a changed schedule counts from now, changed event types from the newest event.</summary>
    Task<Job?> UpdateAsync(string name, JobSpec spec, long now, CancellationToken ct);

    /// <summary>Deletes the job; its queued executions are cancelled and running ones asked to stop.</summary>
    Task<bool> DeleteAsync(string name, long now, CancellationToken ct);

    /// <summary>Queues an execution; null when one for this (job, scheduled time) or (job, event) already exists.</summary>
    Task<JobExecution?> EnqueueAsync(string jobId, string trigger, long? scheduledAt, long now, CancellationToken ct);

    /// <summary>Enabled jobs with a schedule, each with the latest occurrence already queued (null if none).</summary>
    Task<IReadOnlyList<(Job Job, long? LastScheduledAt)>> ListScheduledAsync(CancellationToken ct);

    /// <summary>
    /// Queues one execution per new matching event of every event-triggered job and moves each job's cursor past
    /// what it read, in one transaction; returns how many executions it queued.
    /// </summary>
    Task<int> EnqueueEventsAsync(int maxEventsPerJob, long now, CancellationToken ct);

    /// <summary>Claims up to <paramref name="max"/> queued executions, oldest first, for <paramref name="replica"/>.</summary>
    Task<IReadOnlyList<ClaimedExecution>> ClaimAsync(string replica, long now, long leaseMs, int max, CancellationToken ct);

    /// <summary>Links the execution to its tracking run and renews the lease (creating the run took part of it).</summary>
    Task SetRunAsync(string executionId, string runId, long now, long leaseMs, CancellationToken ct);

    /// <summary>Renews the lease if <paramref name="replica"/> still owns the running execution.</summary>
    Task<JobHeartbeat> HeartbeatAsync(string executionId, string replica, long now, long leaseMs, CancellationToken ct);

    /// <summary>Writes the final state and its <c>job.finished</c> event, if <paramref name="replica"/> still owns it.</summary>
    Task<JobExecution?> FinishAsync(string executionId, string replica, JobOutcome outcome, CancellationToken ct);

    /// <summary>Marks failed every running execution whose lease lapsed (its process died); returns them.</summary>
    Task<IReadOnlyList<JobExecution>> FailExpiredAsync(long now, CancellationToken ct);

    /// <summary>A queued execution is cancelled at once; a running one is asked to stop (its runner kills it).</summary>
    Task<JobExecution?> CancelAsync(string executionId, long now, CancellationToken ct);

    Task<JobExecution?> GetExecutionAsync(string executionId, CancellationToken ct);

    /// <summary>Executions newest first; of one job when <paramref name="jobId"/> is given.</summary>
    Task<Page<JobExecution>> ListExecutionsAsync(string? jobId, int maxResults, string? pageToken, CancellationToken ct);
}
