using System.Diagnostics;

namespace Strata.Serving.Hosting;

/// <summary>
/// The time limit of one prediction request. The cancellation token (a source linked to the client's abort, with a
/// timer) is made only when something actually waits: a body that has not fully arrived, or a micro-batch. A
/// request whose body is already in and whose model runs inline is checked against the clock instead, which spares
/// the timer queue two locked operations per request.
/// </summary>
internal sealed class RequestDeadline(long startedTimestamp, TimeSpan limit, CancellationToken aborted) : IDisposable
{
    private CancellationTokenSource? _source;

    public CancellationToken Token
    {
        get
        {
            if (_source is null)
            {
                _source = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                var left = limit - Stopwatch.GetElapsedTime(startedTimestamp);
                _source.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            }

            return _source.Token;
        }
    }

    /// <summary>Whether the limit has passed (by the timer, if one was made, or by the clock).</summary>
    public bool Expired => _source?.IsCancellationRequested == true && !aborted.IsCancellationRequested
        || Stopwatch.GetElapsedTime(startedTimestamp) >= limit;

    /// <summary>Answers a request that finished past its limit as timed out, as if it had been interrupted.</summary>
    public void ThrowIfExpired()
    {
        if (Expired)
        {
            throw new OperationCanceledException("The request outlived its time limit.");
        }
    }

    public void Dispose() => _source?.Dispose();
}
