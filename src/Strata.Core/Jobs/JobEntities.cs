namespace Strata.Core.Jobs;

/// <summary>What a job runs and when. Times are milliseconds; <see cref="TimeoutMs"/> null means no limit.</summary>
public sealed record JobSpec(
    string Command,
    IReadOnlyList<string> Args,
    IReadOnlyDictionary<string, string> Env,
    string? WorkingDir,
    long? TimeoutMs,
    string ExperimentId,
    string? Schedule,
    string? TimeZone,
    IReadOnlyList<string> EventTypes,
    string? EventModelName,
    bool Enabled,
    string? Description);

/// <summary>
/// A job: its spec, and from when its schedule counts (occurrences before that are never run). The service fills
/// <see cref="NextScheduledAt"/> (the next occurrence after now) for answers.
/// </summary>
public sealed record Job(string Id, string Name, JobSpec Spec, long CreationTimestamp, long LastUpdatedTimestamp, long ScheduleFrom, long? NextScheduledAt = null);

/// <summary>A create or update request: null fields are not given (an update keeps them).</summary>
public sealed record JobChanges(
    string? Name = null,
    string? Command = null,
    IReadOnlyList<string>? Args = null,
    IReadOnlyDictionary<string, string>? Env = null,
    string? WorkingDir = null,
    long? TimeoutSeconds = null,
    string? ExperimentId = null,
    string? Schedule = null,
    string? TimeZone = null,
    IReadOnlyList<string>? EventTypes = null,
    string? EventModelName = null,
    bool? Enabled = null,
    string? Description = null);

/// <summary>Why an execution started.</summary>
public static class JobTriggers
{
    public const string Schedule = "schedule";
    public const string Manual = "manual";
    public const string Event = "event";
}

/// <summary>An execution's states: queued and running, then one final state.</summary>
public static class JobExecutionStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string TimedOut = "timed_out";

    public static bool IsFinal(string status) => status is Succeeded or Failed or Cancelled or TimedOut;
}

/// <summary>One run of a job, linked to the MLflow run that tracks it.</summary>
public sealed record JobExecution(
    string Id,
    string JobId,
    string JobName,
    string Trigger,
    long? ScheduledAt,
    long? EventId,
    string? EventType,
    string Status,
    string? RunId,
    string? Replica,
    long CreatedAt,
    long? StartedAt,
    long? EndedAt,
    int? ExitCode,
    bool CancelRequested,
    string? Error);

/// <summary>An execution this process claimed, with the spec it runs (as the job was when claimed).</summary>
public sealed record ClaimedExecution(JobExecution Execution, JobSpec Spec);

/// <summary>What a heartbeat learned: whether this process still owns the execution and whether a cancel was asked.</summary>
public sealed record JobHeartbeat(bool Owned, bool CancelRequested);

/// <summary>How an execution ended, as the runner saw it.</summary>
public sealed record JobOutcome(string Status, int? ExitCode, string? Error, long EndedAt);
