using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Monitoring;
using Strata.Storage.Database;

namespace Strata.Server.Monitoring;

/// <summary>
/// Evaluates error-rate and latency-p99 alerts every <see cref="MonitoringOptions.AlertInterval"/>. Replicas sharing a
/// PostgreSQL database take turns through an advisory lock, so one evaluates at a time; the states' conditional flips
/// record each crossing once even when two rounds judge the same window.
/// </summary>
public sealed partial class ServiceAlertScheduler(
    ServiceAlertEvaluator evaluator, IDatabase database, IOptions<MonitoringOptions> options, TimeProvider time, ILogger<ServiceAlertScheduler> logger)
    : BackgroundService
{
    private const string LockName = "monitoring-service-alerts";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.AlertInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await RunOnceAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One round under the lock; returns the crossings recorded.</summary>
    public async Task<IReadOnlyList<AlertCrossing>> RunOnceAsync(CancellationToken ct)
    {
        var crossings = await database.RunExclusiveAsync(LockName, token => evaluator.EvaluateAsync(token), ct).ConfigureAwait(false);
        foreach (var c in crossings)
        {
            LogCrossing(logger, c.EventType, c.Observation.ModelName, c.Observation.ModelVersion, c.Observation.Value, c.Observation.Threshold);
        }

        return crossings;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Alert {EventType}: {Model} v{Version} at {Value:0.####} (threshold {Threshold})")]
    private static partial void LogCrossing(ILogger logger, string eventType, string model, string version, double value, double threshold);

    [LoggerMessage(Level = LogLevel.Warning, Message = "An alert evaluation round failed")]
    private static partial void LogFailed(ILogger logger, Exception e);
}
