using System.Threading.Channels;
using Strata.Storage.Serving;

namespace Strata.Serving.PredictionLog;

/// <summary>
/// The bounded hand-off between request threads and the log writer. <see cref="TryEnqueue"/> never blocks: when the
/// queue is full the entry is dropped and counted, so a slow database can never slow down or fail a prediction.
/// </summary>
public sealed class PredictionLogQueue
{
    private readonly Channel<PredictionLogRecord> _channel;
    private long _dropped;
    private long _enqueued;

    public PredictionLogQueue(PredictionLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        // FullMode.Wait makes TryWrite return false when full (the other modes would drop silently).
        _channel = Channel.CreateBounded<PredictionLogRecord>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
    }

    public PredictionLogOptions Options { get; }

    public bool Enabled => Options.Enabled && Options.SampleRate > 0;

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Enqueued => Interlocked.Read(ref _enqueued);

    public int Depth => _channel.Reader.Count;

    public ChannelReader<PredictionLogRecord> Reader => _channel.Reader;

    /// <summary>Whether this request is to be logged (decided before the body is copied, so unsampled requests cost nothing).</summary>
    public bool ShouldSample() => Enabled && (Options.SampleRate >= 1 || Random.Shared.NextDouble() < Options.SampleRate);

    public bool TryEnqueue(PredictionLogRecord record)
    {
        if (_channel.Writer.TryWrite(record))
        {
            Interlocked.Increment(ref _enqueued);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>No more entries; the writer drains what is queued and stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
