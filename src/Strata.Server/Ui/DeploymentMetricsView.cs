using Strata.Core.Deployments;

namespace Strata.Server.Ui;

/// <summary>A time window the deployment page offers, and the bucket width it reads.</summary>
public sealed record MetricsWindow(string Key, string Label, long Millis, MetricsResolution Resolution)
{
    public static IReadOnlyList<MetricsWindow> All { get; } =
    [
        new("1h", "1 hour", 3_600_000, MetricsResolution.Minute),
        new("6h", "6 hours", 6 * 3_600_000, MetricsResolution.Minute),
        new("24h", "24 hours", 24 * 3_600_000, MetricsResolution.Hour),
        new("7d", "7 days", 7 * 24 * 3_600_000L, MetricsResolution.Hour),
    ];

    public static MetricsWindow Parse(string? key) => All.FirstOrDefault(w => w.Key == key) ?? All[0];
}

/// <summary>
/// A deployment's service metrics over a window, shaped for the page: one line per served version (shadow copies
/// apart) for traffic, errors and cost, three (p50/p95/p99) per version for latency, and the window's totals.
/// </summary>
public sealed record DeploymentMetricsView(
    ChartLine[] Traffic,
    ChartLine[] Latency,
    ChartLine[] ErrorRate,
    ChartLine[] Cost,
    IReadOnlyList<ServiceMetricsPoint> Totals)
{
    public static async Task<DeploymentMetricsView> ReadAsync(IServiceMetricsStore store, string deployment, MetricsWindow window, long nowMs, CancellationToken ct)
    {
        var to = nowMs + 1;
        var from = ServiceMetricsMerge.BucketStart(to - window.Millis, window.Resolution);
        var rows = await store.ReadAsync(deployment, window.Resolution, from, to, ct).ConfigureAwait(false);
        return From(ServiceMetricsMerge.Merge(rows, window.Resolution), ServiceMetricsMerge.Summarize(rows, from, to));
    }

    public static DeploymentMetricsView From(IReadOnlyList<ServiceMetricsPoint> points, IReadOnlyList<ServiceMetricsPoint> totals)
    {
        var series = points.GroupBy(p => SeriesName(p)).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        ChartLine Line(IGrouping<string, ServiceMetricsPoint> g, string suffix, Func<ServiceMetricsPoint, double> y) =>
            new(g.Key + suffix, g.Select(p => p.BucketStartMs).ToArray(), g.Select(y).ToArray());

        return new DeploymentMetricsView(
            series.Select(g => Line(g, "", p => p.ThroughputPerSecond)).ToArray(),
            series.SelectMany(g => new[]
            {
                Line(g, " p50", p => p.LatencyP50Ms),
                Line(g, " p95", p => p.LatencyP95Ms),
                Line(g, " p99", p => p.LatencyP99Ms),
            }).ToArray(),
            series.Select(g => Line(g, "", p => p.ErrorRate * 100)).ToArray(),
            series.Select(g => Line(g, "", p => p.CpuMsPer1000Predictions)).ToArray(),
            totals);
    }

    /// <summary>"model v3", or "model v3 (shadow)" for the copies a shadow answered.</summary>
    public static string SeriesName(ServiceMetricsPoint p) => $"{p.ModelName} v{p.ModelVersion}{(p.Shadow ? " (shadow)" : "")}";
}
