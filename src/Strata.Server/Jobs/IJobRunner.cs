using Strata.Core.Jobs;

namespace Strata.Server.Jobs;

/// <summary>
/// Where an execution's command runs (<see cref="JobSpec.Runner"/>): the scheduler claims an execution and hands it
/// to the runner of its kind, which tracks it as a run, renews its lease, honours cancel and timeout, and writes
/// its final state.
/// </summary>
internal interface IJobRunner
{
    /// <summary>The <see cref="JobRunners"/> value this runner serves.</summary>
    string Kind { get; }

    /// <summary>Runs the claimed execution to a final state; <paramref name="stopping"/> means the server is stopping.</summary>
    Task RunAsync(ClaimedExecution claimed, string replica, CancellationToken stopping);

    /// <summary>
    /// Cleans up after an execution whose replica died (its lease lapsed and it was just marked failed): whatever
    /// the dead replica started elsewhere is stopped.
    /// </summary>
    Task AbandonAsync(JobExecution execution, CancellationToken ct);
}
