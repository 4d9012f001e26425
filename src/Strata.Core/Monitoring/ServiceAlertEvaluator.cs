using Strata.Core.Deployments;

namespace Strata.Core.Monitoring;

/// <summary>
/// Evaluates the error-rate and latency-p99 alerts of every deployment that watches them: its service metrics over
/// the window (the stored minute buckets of every replica, merged), judged per served version, states and crossings
/// stored through <see cref="IMonitoringStore.RecordServiceAlertsAsync"/>.
/// </summary>
public sealed class ServiceAlertEvaluator(IMonitoringStore store, IServiceMetricsStore metrics, TimeProvider time)
{
    /// <summary>One round over every watching deployment; returns the crossings it recorded.</summary>
    public async Task<IReadOnlyList<AlertCrossing>> EvaluateAsync(CancellationToken ct)
    {
        var crossings = new List<AlertCrossing>();
        foreach (var thresholds in await store.ListServiceAlertThresholdsAsync(ct).ConfigureAwait(false))
        {
            crossings.AddRange(await EvaluateAsync(thresholds, ct).ConfigureAwait(false));
        }

        return crossings;
    }

    /// <summary>One deployment's evaluation over the window ending now.</summary>
    public async Task<IReadOnlyList<AlertCrossing>> EvaluateAsync(AlertThresholds thresholds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var window = AlertWindow.Ending(now, thresholds.WindowMinutes);
        var rows = await metrics.ReadAsync(thresholds.Deployment, MetricsResolution.Minute, window.StartMs, window.EndMs, ct).ConfigureAwait(false);
        var summary = ServiceMetricsMerge.Summarize(rows, window.StartMs, window.EndMs);
        var states = await store.ListAlertStatesAsync(thresholds.Deployment, ct).ConfigureAwait(false);
        var observations = ServiceAlertRules.Evaluate(thresholds, summary, states);
        return await store.RecordServiceAlertsAsync(thresholds.Deployment, window, observations, now, ct).ConfigureAwait(false);
    }
}
