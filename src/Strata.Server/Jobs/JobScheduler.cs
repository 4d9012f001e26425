using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Jobs;
using Strata.Server.Hosting;

namespace Strata.Server.Jobs;

/// <summary>
/// Each replica's job loop. Every round it fails executions whose replica died (lapsed lease), queues the due
/// occurrence of every schedule (unique per job and time, so replicas racing queue it once) and the executions of new
/// matching events, then claims queued executions up to its free slots and runs them. Stopping kills what it runs and
/// records those executions as failed, so none is left "running".
/// </summary>
internal sealed partial class JobScheduler(
    IJobStore store, IEnumerable<IJobRunner> runners, JobRunTracking tracking, IOptions<StrataServerOptions> options, TimeProvider time, ILogger<JobScheduler> logger)
    : BackgroundService
{
    private const int EventsPerRound = 100;

    private readonly JobsOptions _settings = options.Value.Jobs;
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobSchedule?> _schedules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IJobRunner> _runners = runners.ToDictionary(r => r.Kind, StringComparer.Ordinal);

    /// <summary>This process's name on the executions it claims.</summary>
    public string Replica { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid().ToString("N")[..8]}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_settings.Enabled || options.Value.ArtifactsOnly)
        {
            return;
        }

        using var timer = new PeriodicTimer(_settings.PollInterval, time);
        try
        {
            do
            {
                try
                {
                    await RunRoundAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogRoundFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // The runners saw the same token: they kill their processes and record the executions before returning.
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
        }
    }

    internal async Task RunRoundAsync(CancellationToken ct)
    {
        foreach (var failed in await store.FailExpiredAsync(Now(), ct).ConfigureAwait(false))
        {
            LogLeaseExpired(logger, failed.Id, failed.JobName, failed.Replica);
            if (failed.RunId is not null)
            {
                await tracking.EndRunAsync(failed.RunId, JobExecutionStatus.Failed, null, failed.EndedAt ?? Now(), CancellationToken.None).ConfigureAwait(false);
            }

            foreach (var runner in _runners.Values)
            {
                try
                {
                    await runner.AbandonAsync(failed, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogAbandonFailed(logger, e, failed.Id, runner.Kind);
                }
            }
        }

        await QueueDueOccurrencesAsync(ct).ConfigureAwait(false);
        while (await store.EnqueueEventsAsync(EventsPerRound, Now(), ct).ConfigureAwait(false) == EventsPerRound)
        {
        }

        var free = _settings.MaxConcurrentExecutions - _running.Count;
        if (free <= 0)
        {
            return;
        }

        foreach (var claimed in await store.ClaimAsync(Replica, Now(), (long)_settings.Lease.TotalMilliseconds, free, ct).ConfigureAwait(false))
        {
            var id = claimed.Execution.Id;
            _running[id] = Task.Run(async () =>
            {
                try
                {
                    await RunnerFor(claimed.Spec).RunAsync(claimed, Replica, ct).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    LogExecutionFailed(logger, e, id);
                }
                finally
                {
                    _running.TryRemove(id, out _);
                }
            }, CancellationToken.None);
        }
    }

    private async Task QueueDueOccurrencesAsync(CancellationToken ct)
    {
        var now = Now();
        foreach (var (job, last) in await store.ListScheduledAsync(ct).ConfigureAwait(false))
        {
            var key = job.Spec.Schedule + "\n" + job.Spec.TimeZone;
            var schedule = _schedules.GetOrAdd(key, _ => TryParse(job));
            if (schedule?.DueAt(Math.Max(job.ScheduleFrom, last ?? long.MinValue), now) is { } due
                && await store.EnqueueAsync(job.Id, JobTriggers.Schedule, due, now, ct).ConfigureAwait(false) is { } queued)
            {
                LogQueued(logger, queued.Id, job.Name, due);
            }
        }
    }

    private JobSchedule? TryParse(Job job)
    {
        try
        {
            return JobSchedule.Parse(job.Spec.Schedule!, job.Spec.TimeZone);
        }
        catch (Core.Errors.MlflowException e)
        {
            // Validated when written; a time zone this machine lacks is the one way to get here.
            LogBadSchedule(logger, job.Name, e.Message);
            return null;
        }
    }

    // A runner this build lacks cannot be written (validated), so the fallback is only for safety.
    private IJobRunner RunnerFor(JobSpec spec) =>
        _runners.TryGetValue(spec.Runner, out var runner) ? runner : _runners[JobRunners.Local];

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job scheduler round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job execution {ExecutionId} failed in the runner")]
    private static partial void LogExecutionFailed(ILogger logger, Exception e, string executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued execution {ExecutionId} of job {Job} for {ScheduledAt}")]
    private static partial void LogQueued(ILogger logger, string executionId, string job, long scheduledAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} of job {Job} failed: replica {Replica} stopped renewing its lease")]
    private static partial void LogLeaseExpired(ILogger logger, string executionId, string job, string? replica);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not clean up after the abandoned execution {ExecutionId} ({Runner} runner)")]
    private static partial void LogAbandonFailed(ILogger logger, Exception e, string executionId, string runner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job} has a schedule this machine cannot read: {Reason}")]
    private static partial void LogBadSchedule(ILogger logger, string job, string reason);
}
