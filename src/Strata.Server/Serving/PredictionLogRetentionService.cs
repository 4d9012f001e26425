using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Core.Deployments;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Server.Serving;

/// <summary>
/// Applies <c>--log-retention</c> in the background: right after start, then every interval. Each pass runs under the
/// database's exclusive lock, so of several replicas on one PostgreSQL database only one deletes at a time (the others
/// find nothing left). Minute rows of the service metrics older than <see cref="MinuteMetricsKept"/> go too: their hour
/// rows hold the same totals.
/// </summary>
public sealed partial class PredictionLogRetentionService(
    IDatabase database, LogRetention retention, TimeSpan interval, TimeProvider time, ILogger<PredictionLogRetentionService> logger,
    IServiceMetricsStore? metrics = null) : BackgroundService
{
    public static readonly TimeSpan MinuteMetricsKept = TimeSpan.FromDays(14);

    /// <summary>One pass (also what tests call).</summary>
    public Task<RetentionResult> ApplyOnceAsync(CancellationToken ct) =>
        database.RunExclusiveAsync("prediction-log-retention", async token =>
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var result = await new PredictionLogRetention(database).ApplyAsync(retention, now, token).ConfigureAwait(false);
            if (metrics is not null)
            {
                await metrics.DeleteMinuteRowsBeforeAsync(now - (long)MinuteMetricsKept.TotalMilliseconds, token).ConfigureAwait(false);
            }

            return result;
        }, ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                try
                {
                    var result = await ApplyOnceAsync(stoppingToken).ConfigureAwait(false);
                    if (result.SegmentsDeleted > 0)
                    {
                        LogApplied(logger, result.EntriesDeleted, result.SegmentsDeleted);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Prediction log retention deleted {Entries} entries in {Segments} segments")]
    private static partial void LogApplied(ILogger logger, long entries, long segments);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Prediction log retention failed; trying again at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
