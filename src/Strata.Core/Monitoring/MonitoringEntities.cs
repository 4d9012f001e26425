namespace Strata.Core.Monitoring;

/// <summary>A model version's reference profile as stored.</summary>
public sealed record StoredProfile(string ModelName, long Version, long CreatedAtMs, ReferenceProfile Profile);

/// <summary>One deployment's model version whose traffic is compared with its reference.</summary>
public sealed record DeploymentTarget(string Deployment, string ModelName, long Version);

/// <summary>One drift computation over a window of logged predictions, with its per-feature verdicts.</summary>
public sealed record DriftRun
{
    public long Id { get; init; }

    public required string Deployment { get; init; }

    public required string ModelName { get; init; }

    public required long Version { get; init; }

    public required long WindowStartMs { get; init; }

    public required long WindowEndMs { get; init; }

    public required long ComputedAtMs { get; init; }

    /// <summary><see cref="DriftTriggers.Schedule"/> or <see cref="DriftTriggers.Request"/>.</summary>
    public required string Trigger { get; init; }

    public required string Method { get; init; }

    public long ReferenceRows { get; init; }

    public long CurrentRows { get; init; }

    public int FeaturesCompared { get; init; }

    public int FeaturesDrifted { get; init; }

    public double DriftShare { get; init; }

    public IReadOnlyList<FeatureDrift> Features { get; init; } = [];
}

public static class DriftTriggers
{
    public const string Schedule = "schedule";
    public const string Request = "request";
}

/// <summary>
/// Alert thresholds of one deployment; null leaves a signal unwatched. Error rate is a share (0..1) of failed requests,
/// latency in milliseconds, drift share a share of compared features.
/// </summary>
public sealed record AlertThresholds(
    string Deployment,
    double? ErrorRate,
    double? LatencyP99Ms,
    double? DriftShare,
    long UpdatedAtMs,
    string? UpdatedBy)
{
    public const int DefaultWindowMinutes = 5;
    public const int MaxWindowMinutes = 24 * 60;

    /// <summary>Whether the drift share is above its threshold since the last crossing (so an event is written once per crossing).</summary>
    public bool DriftAlerting { get; init; }

    /// <summary>How many of the latest minute buckets of service metrics the error rate and latency p99 are computed over.</summary>
    public int WindowMinutes { get; init; } = DefaultWindowMinutes;

    /// <summary>Fewer requests than this in the window leave a version's error-rate and latency alerts as they are.</summary>
    public long MinRequests { get; init; } = 1;
}

/// <summary>The event types monitoring writes into the registry's event table.</summary>
public static class MonitoringEventTypes
{
    public const string DriftShareExceeded = "deployment.drift_share.exceeded";
    public const string DriftShareRecovered = "deployment.drift_share.recovered";
    public const string ErrorRateExceeded = "deployment.error_rate.exceeded";
    public const string ErrorRateRecovered = "deployment.error_rate.recovered";
    public const string LatencyP99Exceeded = "deployment.latency_p99.exceeded";
    public const string LatencyP99Recovered = "deployment.latency_p99.recovered";
}

/// <summary>Which drift runs to read; times (epoch ms) select runs whose window ends within [from, to].</summary>
public sealed record DriftRunQuery
{
    public string? Deployment { get; init; }

    public string? ModelName { get; init; }

    public long? Version { get; init; }

    public long? FromMs { get; init; }

    public long? ToMs { get; init; }

    public int MaxResults { get; init; } = 100;
}
