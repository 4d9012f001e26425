using Strata.Core.Deployments;

namespace Strata.Core.Monitoring;

/// <summary>The service signals alerts watch, as they are named in stored states and event types.</summary>
public static class AlertSignals
{
    public const string ErrorRate = "error_rate";
    public const string LatencyP99 = "latency_p99";

    /// <summary>The value's field in an event's payload (latency carries its unit, as the threshold does).</summary>
    public static string ValueField(string signal) => signal == LatencyP99 ? "latency_p99_ms" : signal;

    public static string EventType(string signal, bool exceeded) => (signal, exceeded) switch
    {
        (ErrorRate, true) => MonitoringEventTypes.ErrorRateExceeded,
        (ErrorRate, false) => MonitoringEventTypes.ErrorRateRecovered,
        (LatencyP99, true) => MonitoringEventTypes.LatencyP99Exceeded,
        _ => MonitoringEventTypes.LatencyP99Recovered,
    };
}

/// <summary>One signal of one served model version over an alert window, and whether it is above its threshold.</summary>
public sealed record AlertObservation(
    string Signal,
    string ModelName,
    string ModelVersion,
    double Value,
    double Threshold,
    bool Above,
    long Requests,
    long Errors);

/// <summary>What the last evaluation found for one signal of one version of a deployment (stored so a crossing is recorded once).</summary>
public sealed record AlertState(
    string Deployment,
    string Signal,
    string ModelName,
    string ModelVersion,
    bool Alerting,
    double Value,
    double Threshold,
    long Requests,
    long ChangedAtMs,
    long EvaluatedAtMs);

/// <summary>A crossing written as a registry event by an evaluation.</summary>
public sealed record AlertCrossing(long EventId, string EventType, AlertObservation Observation);

/// <summary>The window one evaluation of a deployment's service alerts covers: whole minute buckets, the current one included.</summary>
public readonly record struct AlertWindow(long StartMs, long EndMs, int Minutes)
{
    public static AlertWindow Ending(long nowMs, int minutes)
    {
        var current = ServiceMetricsMerge.BucketStart(nowMs, MetricsResolution.Minute);
        return new AlertWindow(current - ((minutes - 1) * 60_000L), current + 60_000, minutes);
    }
}

/// <summary>
/// Turns a deployment's service metrics over an alert window into observations: per served (not shadow) version, its
/// error rate (failed share of requests) and latency p99 against the thresholds, with versions below the minimum
/// request count left out (too little traffic to judge). A version that is alerting but had no request at all in the
/// window recovers: it no longer serves, or nobody calls it, so nothing is failing.
/// </summary>
public static class ServiceAlertRules
{
    public static IReadOnlyList<AlertObservation> Evaluate(
        AlertThresholds thresholds, IEnumerable<ServiceMetricsPoint> summary, IEnumerable<AlertState> states)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(states);
        var observations = new List<AlertObservation>();
        var seen = new HashSet<(string, string)>();
        foreach (var p in summary.Where(p => !p.Shadow && p.Requests > 0))
        {
            seen.Add((p.ModelName, p.ModelVersion));
            if (p.Requests < thresholds.MinRequests)
            {
                continue;
            }

            if (thresholds.ErrorRate is { } errorLimit)
            {
                observations.Add(new AlertObservation(AlertSignals.ErrorRate, p.ModelName, p.ModelVersion, p.ErrorRate, errorLimit, p.ErrorRate > errorLimit, p.Requests, p.Errors));
            }

            if (thresholds.LatencyP99Ms is { } latencyLimit)
            {
                observations.Add(new AlertObservation(AlertSignals.LatencyP99, p.ModelName, p.ModelVersion, p.LatencyP99Ms, latencyLimit, p.LatencyP99Ms > latencyLimit, p.Requests, p.Errors));
            }
        }

        foreach (var s in states.Where(s => s.Alerting && !seen.Contains((s.ModelName, s.ModelVersion))))
        {
            var limit = s.Signal == AlertSignals.ErrorRate ? thresholds.ErrorRate : thresholds.LatencyP99Ms;
            if (limit is { } l)
            {
                observations.Add(new AlertObservation(s.Signal, s.ModelName, s.ModelVersion, 0, l, false, 0, 0));
            }
        }

        return observations;
    }
}
