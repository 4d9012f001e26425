namespace Strata.Core.Tracking;

/// <summary>A point of a chart series: x (step, timestamp or seconds since start) and y.</summary>
public readonly record struct SeriesPoint(double X, double Y);

/// <summary>
/// Shrinks long metric histories before they reach a chart and smooths them for display. Largest-Triangle-Three-Buckets
/// (Steinarsson, 2013) keeps the visual shape (peaks, dips, trend changes) of a series with far fewer points than the
/// eye can tell apart, so a 100,000-point history draws as ~1,000 points without hiding a spike.
/// </summary>
public static class MetricDownsampling
{
    /// <summary>
    /// At most <paramref name="threshold"/> points chosen by LTTB from <paramref name="points"/>, which must be ordered by
    /// X. The first and last points are always kept; a series already short enough, or a threshold below 3, comes back
    /// as it is (a copy). Non-finite Y values (NaN, ±Infinity) would poison the triangle areas, so they are dropped first.
    /// </summary>
    public static SeriesPoint[] Lttb(IReadOnlyList<SeriesPoint> points, int threshold)
    {
        ArgumentNullException.ThrowIfNull(points);
        var finite = new List<SeriesPoint>(points.Count);
        foreach (var p in points)
        {
            if (double.IsFinite(p.Y) && double.IsFinite(p.X))
            {
                finite.Add(p);
            }
        }

        var n = finite.Count;
        if (threshold < 3 || n <= threshold)
        {
            return [.. finite];
        }

        var sampled = new SeriesPoint[threshold];
        sampled[0] = finite[0];
        // The first and last points are fixed, the n-2 points between them are split into threshold-2 buckets.
        var bucketSize = (double)(n - 2) / (threshold - 2);
        var a = 0;
        for (var i = 0; i < threshold - 2; i++)
        {
            // Average of the next bucket: the third corner of the triangle.
            var nextStart = (int)Math.Floor((i + 1) * bucketSize) + 1;
            var nextEnd = Math.Min((int)Math.Floor((i + 2) * bucketSize) + 1, n);
            double avgX = 0, avgY = 0;
            for (var j = nextStart; j < nextEnd; j++)
            {
                avgX += finite[j].X;
                avgY += finite[j].Y;
            }

            var count = nextEnd - nextStart;
            avgX /= count;
            avgY /= count;

            var start = (int)Math.Floor(i * bucketSize) + 1;
            var end = (int)Math.Floor((i + 1) * bucketSize) + 1;
            var pa = finite[a];
            var maxArea = -1.0;
            var chosen = start;
            for (var j = start; j < end; j++)
            {
                var area = Math.Abs(((pa.X - avgX) * (finite[j].Y - pa.Y)) - ((pa.X - finite[j].X) * (avgY - pa.Y)));
                if (area > maxArea)
                {
                    maxArea = area;
                    chosen = j;
                }
            }

            sampled[i + 1] = finite[chosen];
            a = chosen;
        }

        sampled[threshold - 1] = finite[n - 1];
        return sampled;
    }

    /// <summary>
    /// Exponential moving average with TensorBoard's debiasing (so the first points are not pulled toward 0).
    /// <paramref name="weight"/> in [0, 1): 0 returns the values unchanged. Non-finite values pass through and are skipped.
    /// </summary>
    public static SeriesPoint[] Smooth(IReadOnlyList<SeriesPoint> points, double weight)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (weight is < 0 or >= 1 || double.IsNaN(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "Smoothing weight must be in [0, 1).");
        }

        var result = new SeriesPoint[points.Count];
        double last = 0;
        var finiteCount = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var p = points[i];
            if (!double.IsFinite(p.Y) || weight == 0)
            {
                result[i] = p;
                continue;
            }

            last = (last * weight) + ((1 - weight) * p.Y);
            finiteCount++;
            var debias = 1 - Math.Pow(weight, finiteCount);
            result[i] = new SeriesPoint(p.X, last / debias);
        }

        return result;
    }
}
