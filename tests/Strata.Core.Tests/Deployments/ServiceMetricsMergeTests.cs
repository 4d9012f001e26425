using Strata.Core.Deployments;

namespace Strata.Core.Tests.Deployments;

public sealed class ServiceMetricsMergeTests
{
    private static ServiceMetricsRow Row(string replica, string version, long bucket, long requests, long errors, long cpuUs, params long[] latencies)
    {
        var sketch = new LatencySketch();
        foreach (var l in latencies)
        {
            sketch.Add(l);
        }

        return new ServiceMetricsRow("d", "m", version, false, MetricsResolution.Minute, bucket, replica, requests, errors, latencies.Sum(), cpuUs, 1000, sketch);
    }

    [Fact]
    public void Replicas_add_up_per_version_and_bucket()
    {
        var rows = new[]
        {
            Row("a", "1", 60_000, 2, 1, 4_000, 1_000, 3_000),
            Row("b", "1", 60_000, 2, 0, 6_000, 2_000, 90_000),
            Row("a", "2", 60_000, 1, 0, 1_000, 500),
            Row("a", "1", 120_000, 1, 0, 1_000, 700),
        };
        var points = ServiceMetricsMerge.Merge(rows, MetricsResolution.Minute);
        Assert.Equal(3, points.Count);
        var first = points.Single(p => p.ModelVersion == "1" && p.BucketStartMs == 60_000);
        Assert.Equal(4, first.Requests);
        Assert.Equal(1, first.Errors);
        Assert.Equal(0.25, first.ErrorRate);
        Assert.Equal(2, first.Replicas);
        Assert.Equal(10, first.CpuMilliseconds);
        Assert.Equal(2_500, first.CpuMsPer1000Predictions);
        Assert.Equal(4 / 60.0, first.ThroughputPerSecond, 9);
        Assert.InRange(first.LatencyP99Ms, 85, 95);
        Assert.Equal((1_000 + 3_000 + 2_000 + 90_000) / 4 / 1000.0, first.MeanLatencyMs, 9);

        var totals = ServiceMetricsMerge.Summarize(rows, 60_000, 180_000);
        Assert.Equal(5, totals.Single(p => p.ModelVersion == "1").Requests);
        Assert.Equal(5 / 120.0, totals.Single(p => p.ModelVersion == "1").ThroughputPerSecond, 9);
    }

    [Theory]
    [InlineData(125_000L, MetricsResolution.Minute, 120_000L)]
    [InlineData(7_300_000L, MetricsResolution.Hour, 7_200_000L)]
    [InlineData(-1L, MetricsResolution.Minute, -60_000L)]
    public void Buckets_start_on_their_boundary(long at, MetricsResolution resolution, long start) =>
        Assert.Equal(start, ServiceMetricsMerge.BucketStart(at, resolution));
}
