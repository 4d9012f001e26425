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
    string? Description,
    string Runner = JobRunners.Local,
    KubernetesJobSpec? Kubernetes = null,
    string ConcurrencyPolicy = JobConcurrencyPolicies.Forbid,
    int? MaxConcurrent = null);

/// <summary>
/// Where a <c>kubernetes</c> job's pod runs; a null field takes the server's default (<c>--jobs-kubernetes-*</c>).
/// Resources are Kubernetes quantities by resource name (<c>cpu</c>, <c>memory</c>, ...).
/// </summary>
public sealed record KubernetesJobSpec(
    string? Image = null,
    string? Namespace = null,
    string? ServiceAccount = null,
    IReadOnlyDictionary<string, string>? Requests = null,
    IReadOnlyDictionary<string, string>? Limits = null);

/// <summary>Where an execution's command runs.</summary>
public static class JobRunners
{
    /// <summary>A child process of the replica that claimed it (the default).</summary>
    public const string Local = "local";

    /// <summary>A Kubernetes <c>batch/v1</c> Job the replica creates and watches.</summary>
    public const string Kubernetes = "kubernetes";
}

/// <summary>
/// What happens when a job's scheduled or event-triggered execution is due while earlier ones still run, as a
/// Kubernetes CronJob's <c>concurrencyPolicy</c>; on-demand runs are never skipped or replaced, they wait.
/// </summary>
public static class JobConcurrencyPolicies
{
    /// <summary>Start it anyway (up to <c>max_concurrent</c> at once when set; more wait queued).</summary>
    public const string Allow = "allow";

    /// <summary>Skip it (recorded as <c>skipped</c>) while <c>max_concurrent</c> (default 1) executions run: the default.</summary>
    public const string Forbid = "forbid";

    /// <summary>Cancel the oldest running one(s) to stay within <c>max_concurrent</c> (default 1) and start it.</summary>
    public const string Replace = "replace";
}

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
    string? Description = null,
    string? Runner = null,
    KubernetesJobSpec? Kubernetes = null,
    string? ConcurrencyPolicy = null,
    long? MaxConcurrent = null);

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

    /// <summary>Never started: due while earlier executions ran under the <c>forbid</c> concurrency policy.</summary>
    public const string Skipped = "skipped";

    public static bool IsFinal(string status) => status is Succeeded or Failed or Cancelled or TimedOut or Skipped;
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
