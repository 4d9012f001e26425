namespace Strata.Storage.Serving;

/// <summary>
/// One logged prediction request. <see cref="Inputs"/> and <see cref="Outputs"/> are the request and response bodies
/// as they crossed the wire (JSON or CSV text), so logging costs a copy, not a re-serialisation.
/// </summary>
public sealed record PredictionLogRecord(
    string RequestId,
    string ModelName,
    string ModelVersion,
    long TimestampMs,
    long LatencyMicroseconds,
    int StatusCode,
    string Protocol,
    string? Inputs,
    string? Outputs,
    string? ErrorMessage)
{
    /// <summary>The row id once stored (0 before).</summary>
    public long LogId { get; init; }
}

/// <summary>A page of the prediction log, newest first; <see cref="NextPageToken"/> is null on the last page.</summary>
public sealed record PredictionLogPage(IReadOnlyList<PredictionLogRecord> Records, string? NextPageToken);

/// <summary>Which logged predictions to read. Times are epoch milliseconds, both inclusive.</summary>
public sealed record PredictionLogQuery
{
    public const int DefaultMaxResults = 100;
    public const int MaxMaxResults = 10_000;

    public string? ModelName { get; init; }

    public string? ModelVersion { get; init; }

    public long? StartTimeMs { get; init; }

    public long? EndTimeMs { get; init; }

    public int MaxResults { get; init; } = DefaultMaxResults;

    public string? PageToken { get; init; }
}
