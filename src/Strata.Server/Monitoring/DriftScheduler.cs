using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Monitoring;

namespace Strata.Server.Monitoring;

/// <summary>
/// Computes drift on a schedule: at each multiple of the interval (epoch-aligned, so every replica picks the same
/// windows), one run per monitored deployment version over the interval that just ended. A window is stored once
/// across replicas (a unique scheduled window); a version without a reference profile is skipped.
/// </summary>
public sealed partial class DriftScheduler(
    MonitoringService service, IDeploymentVersions deployments, IOptions<MonitoringOptions> options, TimeProvider time, ILogger<DriftScheduler> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.DriftInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        var step = (long)interval.TotalMilliseconds;
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var next = ((now / step) + 1) * step;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(next - now), time, stoppingToken).ConfigureAwait(false);
                await RunOnceAsync(next, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogFailed(logger, e);
            }
        }
    }

    /// <summary>One round: drift of every monitored version over [windowEndMs − interval, windowEndMs − 1]; returns the runs stored.</summary>
    public async Task<IReadOnlyList<DriftRun>> RunOnceAsync(long windowEndMs, CancellationToken ct)
    {
        var step = (long)options.Value.DriftInterval.TotalMilliseconds;
        var stored = new List<DriftRun>();
        foreach (var target in await deployments.ListMonitoredAsync(ct).ConfigureAwait(false))
        {
            try
            {
                var run = await service.ComputeAsync(
                    target, windowEndMs - step, windowEndMs - 1, DriftTriggers.Schedule, new DriftOptions(), null, requireProfile: false, ct).ConfigureAwait(false);
                if (run is not null)
                {
                    stored.Add(run);
                    LogComputed(logger, target.Deployment, target.ModelName, target.Version, run.DriftShare, run.CurrentRows);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogTargetFailed(logger, e, target.Deployment, target.ModelName, target.Version);
            }
        }

        return stored;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Drift of {Deployment} ({Model} v{Version}): share {DriftShare:0.###} over {Rows} rows")]
    private static partial void LogComputed(ILogger logger, string deployment, string model, long version, double driftShare, long rows);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduled drift of {Deployment} ({Model} v{Version}) failed")]
    private static partial void LogTargetFailed(ILogger logger, Exception e, string deployment, string model, long version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A scheduled drift round failed")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
