using Strata.Core.Tracking;

namespace Strata.Server.Ui;

/// <summary>One logged point of a history, as charts need it.</summary>
public readonly record struct MetricPoint(long Step, long Timestamp, double Value);

/// <summary>How a chart's x axis is laid out.</summary>
public enum ChartXAxis
{
    Step,
    WallTime,
    RelativeTime,
}

/// <summary>
/// Reads whole metric histories for charts through the streaming history read (no per-point <see cref="Metric"/>
/// objects) and turns them into chart series: x by step, wall time or time since the first point, optional smoothing,
/// then LTTB down to what a chart can show.
/// </summary>
public sealed class MetricSeriesReader(TrackingService tracking, MetricHistoryPrefetch? prefetch = null)
{
    /// <summary>Points a chart series is cut down to; enough for a full-width chart on a large screen.</summary>
    public const int ChartPoints = 1000;

    /// <summary>The whole history: the read the page started for it (see <see cref="MetricHistoryPrefetch"/>), else a new one.</summary>
    public Task<List<MetricPoint>> ReadAsync(string runId, string key, CancellationToken ct) =>
        prefetch?.Take(runId, key) ?? ReadAllAsync(tracking, runId, key, ct);

    internal static async Task<List<MetricPoint>> ReadAllAsync(TrackingService tracking, string runId, string key, CancellationToken ct)
    {
        var sink = new Sink();
        await tracking.ReadMetricHistoryAsync(new MetricHistoryRequest(runId, key, null, null), sink, ct).ConfigureAwait(false);
        return sink.Points;
    }

    /// <summary>
    /// A cheap overview of a history for a sparkline: at most <paramref name="maxPoints"/> points at evenly spread
    /// steps (the bulk-interval read, which picks steps from the index instead of reading every row).
    /// </summary>
    public async Task<List<MetricPoint>> ReadSampleAsync(string runId, string key, int maxPoints, CancellationToken ct)
    {
        var points = await tracking.GetMetricHistoryBulkIntervalAsync(
            new MetricHistoryBulkIntervalRequest([runId], key, null, null, maxPoints), ct).ConfigureAwait(false);
        return points.Select(m => new MetricPoint(m.Step, m.Timestamp, m.Value)).ToList();
    }

    /// <summary>The series to draw: points ordered by x, smoothed when <paramref name="smoothing"/> &gt; 0, downsampled.</summary>
    public static SeriesPoint[] ToSeries(IReadOnlyList<MetricPoint> points, ChartXAxis axis, double smoothing, int maxPoints = ChartPoints)
    {
        if (points.Count == 0)
        {
            return [];
        }

        long first = long.MaxValue;
        foreach (var p in points)
        {
            first = Math.Min(first, p.Timestamp);
        }

        var series = new List<SeriesPoint>(points.Count);
        var ordered = true;
        foreach (var p in points)
        {
            var point = new SeriesPoint(axis switch
            {
                ChartXAxis.WallTime => p.Timestamp,
                ChartXAxis.RelativeTime => (p.Timestamp - first) / 1000.0,
                _ => p.Step,
            }, p.Value);
            ordered &= series.Count == 0 || series[^1].X <= point.X;
            series.Add(point);
        }

        // Histories come ordered by step (and usually by time): sort only when they are not.
        if (!ordered)
        {
            series = [.. series.OrderBy(p => p.X)];
        }

        var smoothed = smoothing > 0 ? MetricDownsampling.Smooth(series, smoothing) : (IReadOnlyList<SeriesPoint>)series;
        return MetricDownsampling.Lttb(smoothed, maxPoints);
    }

    private sealed class Sink : IMetricHistorySink
    {
        public List<MetricPoint> Points { get; } = [];

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            Points.Add(new MetricPoint(point.Step, point.Timestamp, point.Value));
            return ValueTask.CompletedTask;
        }
    }
}
