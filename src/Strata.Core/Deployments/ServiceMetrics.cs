namespace Strata.Core.Deployments;

/// <summary>Bucket width of stored service metrics.</summary>
public enum MetricsResolution
{
    Minute,
    Hour,
}

/// <summary>
/// What one replica measured for one (deployment, model version) in one bucket: the stored row. A replica rewrites its
/// own row for a bucket with its running totals (idempotent), so rows of different replicas never collide and reads add
/// them up. <see cref="Shadow"/> rows count the copies a shadow version answered.
/// </summary>
public sealed record ServiceMetricsRow(
    string DeploymentName,
    string ModelName,
    string ModelVersion,
    bool Shadow,
    MetricsResolution Resolution,
    long BucketStartMs,
    string ReplicaId,
    long Requests,
    long Errors,
    long LatencySumMicroseconds,
    long CpuMicroseconds,
    long AllocatedBytes,
    LatencySketch Latency);

/// <summary>One (version, bucket) point of a deployment's metrics, merged across replicas.</summary>
public sealed record ServiceMetricsPoint(
    string ModelName,
    string ModelVersion,
    bool Shadow,
    long BucketStartMs,
    long Requests,
    long Errors,
    double ErrorRate,
    double LatencyP50Ms,
    double LatencyP95Ms,
    double LatencyP99Ms,
    double MeanLatencyMs,
    double ThroughputPerSecond,
    double CpuMilliseconds,
    long AllocatedBytes,
    double CpuMsPer1000Predictions,
    int Replicas);

/// <summary>Storage of service metrics rows.</summary>
public interface IServiceMetricsStore
{
    /// <summary>Inserts or replaces each row by (deployment, model, version, shadow, resolution, bucket, replica).</summary>
    Task UpsertAsync(IReadOnlyList<ServiceMetricsRow> rows, CancellationToken ct);

    /// <summary>The rows of one deployment whose bucket starts in [<paramref name="fromMs"/>, <paramref name="toMs"/>).</summary>
    Task<IReadOnlyList<ServiceMetricsRow>> ReadAsync(string deploymentName, MetricsResolution resolution, long fromMs, long toMs, CancellationToken ct);

    /// <summary>Deletes minute rows older than <paramref name="beforeMs"/> (their hours stay); returns the count.</summary>
    Task<int> DeleteMinuteRowsBeforeAsync(long beforeMs, CancellationToken ct);
}

/// <summary>Merges replicas' rows into points: counts add, sketches merge, quantiles come from the merged sketch.</summary>
public static class ServiceMetricsMerge
{
    public static long BucketWidthMs(MetricsResolution resolution) => resolution == MetricsResolution.Hour ? 3_600_000 : 60_000;

    public static long BucketStart(long timestampMs, MetricsResolution resolution)
    {
        var width = BucketWidthMs(resolution);
        return timestampMs - (((timestampMs % width) + width) % width);
    }

    /// <summary>One point per (version, bucket).</summary>
    public static IReadOnlyList<ServiceMetricsPoint> Merge(IEnumerable<ServiceMetricsRow> rows, MetricsResolution resolution) =>
        Merge(rows, BucketWidthMs(resolution), null);

    /// <summary>One point per version over the whole window [<paramref name="fromMs"/>, <paramref name="toMs"/>).</summary>
    public static IReadOnlyList<ServiceMetricsPoint> Summarize(IEnumerable<ServiceMetricsRow> rows, long fromMs, long toMs) =>
        Merge(rows, Math.Max(1, toMs - fromMs), fromMs);

    private static IReadOnlyList<ServiceMetricsPoint> Merge(IEnumerable<ServiceMetricsRow> rows, long widthMs, long? window)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var seconds = widthMs / 1000.0;
        return rows
            .GroupBy(r => (r.ModelName, r.ModelVersion, r.Shadow, BucketStartMs: window ?? r.BucketStartMs))
            .OrderBy(g => g.Key.BucketStartMs).ThenBy(g => g.Key.Shadow).ThenBy(g => g.Key.ModelName, StringComparer.Ordinal).ThenBy(g => g.Key.ModelVersion, StringComparer.Ordinal)
            .Select(g =>
            {
                var sketch = new LatencySketch();
                long requests = 0, errors = 0, latencySum = 0, cpu = 0, alloc = 0;
                foreach (var r in g)
                {
                    sketch.Merge(r.Latency);
                    requests += r.Requests;
                    errors += r.Errors;
                    latencySum += r.LatencySumMicroseconds;
                    cpu += r.CpuMicroseconds;
                    alloc += r.AllocatedBytes;
                }

                var cpuMs = cpu / 1000.0;
                return new ServiceMetricsPoint(
                    g.Key.ModelName,
                    g.Key.ModelVersion,
                    g.Key.Shadow,
                    g.Key.BucketStartMs,
                    requests,
                    errors,
                    requests == 0 ? 0 : (double)errors / requests,
                    sketch.Quantile(0.50) / 1000.0,
                    sketch.Quantile(0.95) / 1000.0,
                    sketch.Quantile(0.99) / 1000.0,
                    requests == 0 ? 0 : latencySum / 1000.0 / requests,
                    requests / seconds,
                    cpuMs,
                    alloc,
                    requests == 0 ? 0 : cpuMs * 1000.0 / requests,
                    g.Select(r => r.ReplicaId).Distinct(StringComparer.Ordinal).Count());
            })
            .ToList();
    }
}
