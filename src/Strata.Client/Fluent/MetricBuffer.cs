using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Strata.Client.Wire;

namespace Strata.Client.Fluent;

/// <summary>
/// A run's metric pipeline: a bounded channel filled by <c>LogMetric</c> and drained by background loops
/// (<see cref="StrataClientOptions.MetricSenders"/>) that send log-batch calls of at most
/// <see cref="StrataClientOptions.MetricBatchSize"/> points. Several senders may deliver batches out of order;
/// that is harmless because the server orders history by (timestamp, step, value) and computes the latest value
/// by maximum, not by arrival.
/// </summary>
/// <remarks>
/// Batching is natural, without a timer: the loop waits for one point, then takes whatever else is already
/// queued (up to the batch size). A fast producer therefore gets full batches; a slow one gets its points sent
/// at once. A batch that fails transiently (network error, 408/429/5xx) is re-sent with jittered exponential
/// backoff until it succeeds — the server ignores exact duplicate points, so a re-send after an unseen success
/// does no harm — or until the run ends and the flush timeout passes, which throws <see cref="MetricFlushException"/>
/// naming the undelivered count. A batch the server rejects (4xx) is not retried; the error is raised by the
/// next <c>LogMetric</c> and by the end of the run.
/// </remarks>
internal sealed class MetricBuffer
{
    private readonly StrataClient _client;
    private readonly string _runId;
    private readonly Channel<MetricPoint> _channel;
    private readonly StrataClientOptions _options;
    private readonly CancellationTokenSource _abort = new();
    private readonly MetricKeys _keys = new();
    private readonly Task _loop;
    private TaskCompletionSource _progress = NewProgress();
    private long _enqueued;
    private volatile bool _closed;
    private long _delivered;
    private long _rejected;
    private Exception? _lastTransientError;
    private StrataApiException? _rejection;

    public MetricBuffer(StrataClient client, string runId)
    {
        _client = client;
        _runId = runId;
        _options = client.Options;
        _channel = Channel.CreateBounded<MetricPoint>(new BoundedChannelOptions(Math.Max(1, _options.MetricBufferCapacity))
        {
            SingleReader = _options.MetricSenders <= 1,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.WhenAll(Enumerable.Range(0, Math.Clamp(_options.MetricSenders, 1, 16)).Select(_ => Task.Run(DrainAsync)));
    }

    public long Delivered => Interlocked.Read(ref _delivered);

    public long Pending => Interlocked.Read(ref _enqueued) - Interlocked.Read(ref _delivered) - Interlocked.Read(ref _rejected);

    /// <summary>Queues a point. Returns at once while there is room; when full, see <see cref="MetricBufferFullMode"/>.</summary>
    public void Add(string key, double value, long step, long timestamp)
    {
        var point = Prepare(key, value, step, timestamp);
        Interlocked.Increment(ref _enqueued);
        if (_channel.Writer.TryWrite(point))
        {
            return;
        }
        try
        {
            if (_options.MetricBufferFullMode == MetricBufferFullMode.Throw || _closed)
            {
                ThrowFullOrEnded();
            }
            // Backpressure: block this thread until the sender frees space (memory stays bounded, nothing dropped).
            _channel.Writer.WriteAsync(point).AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException)
        {
            Interlocked.Decrement(ref _enqueued);
            throw new InvalidOperationException($"Run {_runId} has ended; metrics can no longer be logged to it.");
        }
        catch
        {
            Interlocked.Decrement(ref _enqueued);
            throw;
        }
    }

    /// <summary>Like <see cref="Add"/>, but when the buffer is full it awaits without blocking a thread.</summary>
    public async ValueTask AddAsync(string key, double value, long step, long timestamp, CancellationToken ct)
    {
        var point = Prepare(key, value, step, timestamp);
        Interlocked.Increment(ref _enqueued);
        if (_channel.Writer.TryWrite(point))
        {
            return;
        }
        try
        {
            if (_options.MetricBufferFullMode == MetricBufferFullMode.Throw || _closed)
            {
                ThrowFullOrEnded();
            }
            await _channel.Writer.WriteAsync(point, ct).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            Interlocked.Decrement(ref _enqueued);
            throw new InvalidOperationException($"Run {_runId} has ended; metrics can no longer be logged to it.");
        }
        catch
        {
            Interlocked.Decrement(ref _enqueued);
            throw;
        }
    }

    /// <summary>Waits until every point queued before the call has been delivered (or rejected).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        var target = Interlocked.Read(ref _enqueued);
        while (Interlocked.Read(ref _delivered) + Interlocked.Read(ref _rejected) < target)
        {
            var progress = Volatile.Read(ref _progress);
            if (Interlocked.Read(ref _delivered) + Interlocked.Read(ref _rejected) >= target)
            {
                break;
            }
            if (_loop.IsCompleted)
            {
                throw Undelivered("the sender stopped before they were sent.");
            }
            await progress.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        ThrowIfRejected();
    }

    /// <summary>Stops accepting points, sends the rest, and stops the loop. Throws if any point was not delivered.</summary>
    public async Task CompleteAsync(TimeSpan timeout, CancellationToken ct)
    {
        _closed = true;
        _channel.Writer.TryComplete();
        try
        {
            await _loop.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            throw Undelivered(ex is TimeoutException
                ? $"the server did not accept them within {timeout.TotalSeconds:0.#} s of the run's end."
                : "ending the run was cancelled.");
        }
        ThrowIfRejected();
    }

    private MetricPoint Prepare(string key, double value, long step, long timestamp)
    {
        ThrowIfRejected();
        _keys.Validate(key);
        if (timestamp < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(timestamp), timestamp, "Metric timestamps must be >= 0.");
        }
        return new MetricPoint(key, value, timestamp, step);
    }

    private void ThrowFullOrEnded()
    {
        if (_closed)
        {
            throw new InvalidOperationException($"Run {_runId} has ended; metrics can no longer be logged to it.");
        }
        throw new MetricBufferFullException(_options.MetricBufferCapacity);
    }

    private void ThrowIfRejected()
    {
        var rejection = Volatile.Read(ref _rejection);
        if (rejection is not null)
        {
            throw new MetricFlushException(_runId, Interlocked.Read(ref _rejected), "the server rejected them.", rejection);
        }
    }

    private MetricFlushException Undelivered(string reason) =>
        new(_runId, Pending, reason, Volatile.Read(ref _lastTransientError) ?? Volatile.Read(ref _rejection));

    private async Task DrainAsync()
    {
        var batch = new MetricPoint[Math.Clamp(_options.MetricBatchSize, 1, 1000)];
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_abort.Token).ConfigureAwait(false))
            {
                var count = 0;
                while (count < batch.Length && reader.TryRead(out var point))
                {
                    batch[count++] = point;
                }
                if (count > 0)
                {
                    await SendAsync(LogBatchWriter.Write(_runId, batch.AsSpan(0, count)), count).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        finally
        {
            Signal();
        }
    }

    private async Task SendAsync(byte[] body, int count)
    {
        var delay = _options.RetryBaseDelay > TimeSpan.Zero ? _options.RetryBaseDelay : TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _client.SendJsonBytesAsync<EmptyResponse>(HttpMethod.Post, "runs/log-batch", null, body, idempotent: true, _abort.Token)
                    .ConfigureAwait(false);
                Interlocked.Add(ref _delivered, count);
                break;
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                Volatile.Write(ref _lastTransientError, ex);
                _client.Logger.LogWarning(
                    "Sending {Count} metric points of run {RunId} failed (attempt {Attempt}): {Error}; retrying in {Delay} ms",
                    count, _runId, attempt, ex.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(Jitter(delay), _abort.Token).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MetricRetryMaxDelay.Ticks));
            }
            catch (StrataApiException ex)
            {
                Volatile.Write(ref _rejection, ex);
                Interlocked.Add(ref _rejected, count);
                _client.Logger.LogError("The server rejected {Count} metric points of run {RunId}: {Error}", count, _runId, ex.Message);
                break;
            }
        }
        Signal();
    }

    private bool IsTransient(Exception ex) => !_abort.IsCancellationRequested && ex switch
    {
        StrataApiException api => api.IsTransient,
        HttpRequestException or IOException or TimeoutException or Polly.Timeout.TimeoutRejectedException => true,
        OperationCanceledException => true, // an HTTP timeout, not our abort (checked above)
        _ => false,
    };

    private static TimeSpan Jitter(TimeSpan delay) => delay * (0.5 + Random.Shared.NextDouble());

    private void Signal() => Interlocked.Exchange(ref _progress, NewProgress()).TrySetResult();

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
