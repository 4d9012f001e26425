namespace Strata.Client;

/// <summary>Thrown by <c>LogMetric</c> in <see cref="MetricBufferFullMode.Throw"/> mode when the buffer is full.</summary>
public sealed class MetricBufferFullException(int capacity)
    : Exception($"The run's metric buffer is full ({capacity} points waiting for the server); the point was not logged.");

/// <summary>Metric points could not be delivered: the server stayed unreachable past the flush timeout, or rejected them.</summary>
public sealed class MetricFlushException(string runId, long undelivered, string reason, Exception? lastError)
    : Exception($"{undelivered} metric point(s) of run {runId} were not delivered: {reason}" +
        (lastError is null ? "" : $" Last error: {lastError.Message}"), lastError)
{
    public string RunId { get; } = runId;

    public long Undelivered { get; } = undelivered;
}
