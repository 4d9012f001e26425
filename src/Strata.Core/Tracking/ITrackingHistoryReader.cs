namespace Strata.Core.Tracking;

/// <summary>One point of a metric history; the run and key are those of the read.</summary>
public readonly record struct MetricHistoryPoint(
    double Value, long Timestamp, long Step, string? ModelId, string? DatasetName, string? DatasetDigest);

/// <summary>Receives the points of a history read in order, as they come off the database.</summary>
public interface IMetricHistorySink
{
    /// <summary>
    /// Takes one point. Usually completes synchronously; it returns a pending task only when the sink
    /// flushes what it has buffered, so a slow consumer holds the reader back instead of memory growing.
    /// </summary>
    ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct);
}

/// <summary>
/// Streaming read of a metric history page (<c>metrics/get-history</c>). Kept apart from
/// <see cref="ITrackingStore.GetMetricHistoryAsync"/> because a 100,000-point history is the largest
/// common read: handing each row on as it is read avoids materializing a <see cref="Metric"/> list.
/// </summary>
public interface ITrackingHistoryReader
{
    /// <summary>
    /// Same rows, order, paging and errors as <see cref="ITrackingStore.GetMetricHistoryAsync"/>: the run
    /// check and token decoding happen before the first point, so RESOURCE_DOES_NOT_EXIST and
    /// INVALID_PARAMETER_VALUE are thrown before anything reaches <paramref name="sink"/>.
    /// </summary>
    /// <returns>The token of the next page, or null on the last page.</returns>
    Task<string?> ReadMetricHistoryAsync(
        string runId, string metricKey, int? maxResults, string? pageToken, IMetricHistorySink sink, CancellationToken ct);
}
