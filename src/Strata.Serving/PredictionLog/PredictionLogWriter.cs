using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Storage.Serving;

namespace Strata.Serving.PredictionLog;

/// <summary>
/// Drains the prediction log queue into the backend store: whatever is queued (up to the batch size) goes in as
/// one transaction, then, unless the batch was full, the writer waits <see cref="PredictionLogOptions.FlushInterval"/>
/// for the next one to gather. On shutdown it writes what is left before stopping.
/// </summary>
public sealed partial class PredictionLogWriter(PredictionLogQueue queue, PredictionLogStore store, ILogger<PredictionLogWriter> logger) : BackgroundService
{
    private long _written;
    private long _failed;
    private long _batches;

    public long Written => Interlocked.Read(ref _written);

    /// <summary>Transactions written (rows written / batches is the writer's mean batch size).</summary>
    public long Batches => Interlocked.Read(ref _batches);

    public long Failed => Interlocked.Read(ref _failed);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        queue.Complete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = queue.Reader;
        var batch = new List<PredictionLogRecord>(queue.Options.WriteBatchSize);
        try
        {
            // Not cancelled by stoppingToken: StopAsync completes the queue, and the loop ends once it is drained.
            while (await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (batch.Count < queue.Options.WriteBatchSize && reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                await WriteAsync(batch).ConfigureAwait(false);
                var full = batch.Count >= queue.Options.WriteBatchSize;
                batch.Clear();
                if (!full && queue.Options.FlushInterval > TimeSpan.Zero)
                {
                    // Let the next batch gather; on shutdown the queue is drained after this short wait.
                    await Task.Delay(queue.Options.FlushInterval, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogWriterStopped(logger, e);
        }
    }

    private async Task WriteAsync(List<PredictionLogRecord> batch)
    {
        try
        {
            await store.InsertAsync(batch, CancellationToken.None).ConfigureAwait(false);
            Interlocked.Add(ref _written, batch.Count);
            Interlocked.Increment(ref _batches);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A failed batch is lost, not retried forever: the log must never hold up serving.
            Interlocked.Add(ref _failed, batch.Count);
            LogWriteFailed(logger, e, batch.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write {Count} prediction log entries")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "The prediction log writer stopped")]
    private static partial void LogWriterStopped(ILogger logger, Exception exception);
}
