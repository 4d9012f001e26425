using Strata.Core.Tracking;

namespace Strata.Core.Tests.Tracking;

public class MetricDownsamplingTests
{
    private static List<SeriesPoint> Line(int n, Func<int, double> y) =>
        Enumerable.Range(0, n).Select(i => new SeriesPoint(i, y(i))).ToList();

    [Fact]
    public void Lttb_keeps_short_series_unchanged()
    {
        var points = Line(10, i => i * 2.0);
        Assert.Equal(points, MetricDownsampling.Lttb(points, 100));
        Assert.Equal(points, MetricDownsampling.Lttb(points, 10));
    }

    [Fact]
    public void Lttb_returns_threshold_points_with_first_and_last_kept_in_order()
    {
        var points = Line(100_000, i => Math.Sin(i / 500.0));
        var sampled = MetricDownsampling.Lttb(points, 1000);
        Assert.Equal(1000, sampled.Length);
        Assert.Equal(points[0], sampled[0]);
        Assert.Equal(points[^1], sampled[^1]);
        for (var i = 1; i < sampled.Length; i++)
        {
            Assert.True(sampled[i].X > sampled[i - 1].X, $"x not increasing at {i}");
        }

        Assert.All(sampled, p => Assert.Contains(p, points));
    }

    [Fact]
    public void Lttb_keeps_a_single_spike()
    {
        var points = Line(50_000, i => i == 31_337 ? 1000.0 : 1.0);
        var sampled = MetricDownsampling.Lttb(points, 200);
        Assert.Contains(new SeriesPoint(31_337, 1000.0), sampled);
    }

    [Fact]
    public void Lttb_drops_non_finite_values()
    {
        var points = Line(10, i => i == 3 ? double.NaN : i == 5 ? double.PositiveInfinity : i);
        var sampled = MetricDownsampling.Lttb(points, 100);
        Assert.Equal(8, sampled.Length);
        Assert.All(sampled, p => Assert.True(double.IsFinite(p.Y)));
    }

    [Fact]
    public void Lttb_with_small_threshold_returns_all_points()
    {
        var points = Line(10, i => i);
        Assert.Equal(10, MetricDownsampling.Lttb(points, 2).Length);
    }

    [Fact]
    public void Smooth_with_zero_weight_is_identity_and_debiased_ema_otherwise()
    {
        var points = Line(3, i => new[] { 1.0, 3.0, 5.0 }[i]);
        Assert.Equal(points, MetricDownsampling.Smooth(points, 0));
        var smoothed = MetricDownsampling.Smooth(points, 0.5);
        // Debiased EMA: first point unchanged; then (0.5*0.5 + 0.5*3) / 0.75.
        Assert.Equal(1.0, smoothed[0].Y, 12);
        Assert.Equal((0.25 + 1.5) / 0.75, smoothed[1].Y, 12);
        Assert.Equal(points.Select(p => p.X), smoothed.Select(p => p.X));
    }

    [Fact]
    public void Smooth_rejects_weights_outside_zero_to_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricDownsampling.Smooth([], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricDownsampling.Smooth([], -0.1));
    }
}
