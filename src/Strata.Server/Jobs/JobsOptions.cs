namespace Strata.Server.Jobs;

/// <summary>How this process runs scheduled jobs (part of <see cref="Hosting.StrataServerOptions"/>).</summary>
public sealed class JobsOptions
{
    /// <summary>Whether this replica runs executions (<c>STRATA_JOBS_ENABLED=false</c> keeps it to the API only).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the scheduler looks for due occurrences, new events, queued executions and dead replicas.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a claimed execution stays this replica's without a heartbeat (<c>STRATA_JOBS_LEASE</c>); a dead
    /// replica's execution is marked failed this long after its last heartbeat.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a running execution renews its lease and looks for a cancel request (at most a third of the lease).</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The heartbeat actually used: a lease always sees about three heartbeats, so one slow write never loses it.</summary>
    public TimeSpan EffectiveHeartbeat => HeartbeatInterval < Lease / 3 ? HeartbeatInterval : Lease / 3;

    /// <summary>Most executions this replica runs at once; more stay queued for another replica or a free slot.</summary>
    public int MaxConcurrentExecutions { get; set; } = 4;

    /// <summary>How long stdout/stderr may keep flowing after the process ended (a grandchild holding the pipe) before the copy is cut.</summary>
    public TimeSpan LogDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The Kubernetes Job runner's defaults and connection (used by jobs with <c>runner: kubernetes</c>).</summary>
    public KubernetesRunnerOptions Kubernetes { get; set; } = new();
}
