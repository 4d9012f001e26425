using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Core.Errors;
using Strata.Serving.Hosting;
using Strata.Serving.PredictionLog;
using Strata.Serving.Protocols;
using Strata.Storage.Serving;

namespace Strata.Serving.Deployments;

/// <summary>A copy of one request for a deployment's shadow version.</summary>
public sealed record ShadowRequest(DeploymentRouter Router, byte[] Body, int Length, string? ContentType, string Protocol, string RequestId);

/// <summary>
/// Runs deployments' shadow versions off the request path. The request path copies the body into a bounded channel
/// with <see cref="TryMirror"/> (never awaiting: when the channel is full the copy is dropped and counted); background
/// workers predict with the deployment's current shadow and write the answer to the prediction log and the service
/// metrics (marked shadow). The answer never reaches the caller.
/// </summary>
public sealed partial class ShadowMirror : BackgroundService
{
    private readonly Channel<ShadowRequest> _channel;
    private readonly int _capacity;
    private readonly ServiceMetricsCollector _metrics;
    private readonly PredictionLogQueue? _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _defaultTimeout;
    private readonly ILogger<ShadowMirror> _logger;
    private long _dropped;
    private long _mirrored;
    private long _completed;

    public ShadowMirror(int capacity, ServiceMetricsCollector metrics, PredictionLogQueue? log, TimeProvider time, TimeSpan defaultTimeout, ILogger<ShadowMirror> logger)
    {
        _capacity = capacity;
        _channel = Channel.CreateBounded<ShadowRequest>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _metrics = metrics;
        _log = log;
        _time = time;
        _defaultTimeout = defaultTimeout;
        _logger = logger;
    }

    /// <summary>Copies dropped because the channel was full (or the shadow was gone when their turn came).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Copies queued.</summary>
    public long Mirrored => Interlocked.Read(ref _mirrored);

    /// <summary>Copies the shadow has answered (successfully or not).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    public int Depth => _channel.Reader.Count;

    /// <summary>Queues a copy of the body for the router's shadow; false (counted) when the queue is full. Never waits.</summary>
    public bool TryMirror(DeploymentRouter router, ReadOnlySpan<byte> body, string? contentType, string protocol, string requestId)
    {
        ArgumentNullException.ThrowIfNull(router);
        // Checked before copying, so a full queue costs the request path nothing but this read.
        if (_channel.Reader.Count >= _capacity)
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        var copy = ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
        body.CopyTo(copy);
        if (!_channel.Writer.TryWrite(new ShadowRequest(router, copy, body.Length, contentType, protocol, requestId)))
        {
            ArrayPool<byte>.Shared.Return(copy);
            Interlocked.Increment(ref _dropped);
            return false;
        }

        Interlocked.Increment(ref _mirrored);
        return true;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Dedicated threads at the lowest scheduling priority: the shadow runs on CPU the callers leave idle. Under full
        // load it barely runs, its queue fills and further copies are dropped (counted), so it cannot take throughput
        // from the route; on an idle machine both workers run at full speed. The shadow's model is built with batching
        // off, so its model call runs on these threads too rather than on a batcher's normal-priority loop.
        var workers = Enumerable.Range(0, 2).Select(i =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var thread = new Thread(() =>
            {
                try
                {
                    BackgroundThreadPriority.TryLowerCurrentThread();
                    Work(stoppingToken);
                    done.TrySetResult();
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            })
            {
                IsBackground = true,
                Name = $"strata-shadow-{i}",
            };
            thread.Start();
            return done.Task;
        });
        return Task.WhenAll(workers);
    }

    private void Work(CancellationToken stoppingToken)
    {
        var reader = _channel.Reader;
        try
        {
            while (reader.WaitToReadAsync(stoppingToken).AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var request))
                {
                    try
                    {
                        // Completes synchronously (no batcher): the whole shadow call runs on this low-priority thread.
                        RunAsync(request, stoppingToken).GetAwaiter().GetResult();
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(request.Body);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(ShadowRequest request, CancellationToken stoppingToken)
    {
        var shadow = request.Router.AcquireShadow();
        if (shadow is null)
        {
            Interlocked.Increment(ref _dropped);
            return;
        }

        var snapshot = request.Router.Current;
        // The shadow's own threads run nothing else, so their CPU clock and allocation counter measure exactly this call.
        var cpuBefore = BackgroundThreadPriority.CurrentThreadCpuMicroseconds();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        var response = new ArrayBufferWriter<byte>(256);
        int status;
        string? error = null;
        using var deadline = new RequestDeadline(started, snapshot?.Timeout ?? _defaultTimeout, stoppingToken);
        try
        {
            await ServingRequestHandler.PredictIntoAsync(
                shadow, request.Body.AsMemory(0, request.Length), request.ContentType, request.Protocol, deadline, response).ConfigureAwait(false);
            deadline.ThrowIfExpired();
            status = StatusCodes.Status200OK;
        }
        catch (UnsupportedMediaTypeException e)
        {
            status = StatusCodes.Status415UnsupportedMediaType;
            error = e.Message;
        }
        catch (MlflowException e)
        {
            status = ServingRequestHandler.StatusFor(e.Code);
            error = e.Message;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
        catch (OperationCanceledException) when (deadline.Expired)
        {
            status = StatusCodes.Status504GatewayTimeout;
            error = ServingRequestHandler.TimeoutMessage;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            status = StatusCodes.Status400BadRequest;
            error = $"{e.GetType().Name}: {e.Message}";
            LogShadowError(_logger, e, shadow.Name, shadow.Version);
        }
        finally
        {
            ModelRoute.Release(shadow);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var cpuAfter = BackgroundThreadPriority.CurrentThreadCpuMicroseconds();
        var cost = cpuBefore is { } before && cpuAfter is { } after
            ? new MeasuredCost(after - before, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore)
            : (MeasuredCost?)null;
        _metrics.Record(request.Router.Name, shadow.Name, shadow.Version, shadow: true, status >= 400, (long)elapsed.TotalMicroseconds, cost);
        var rate = snapshot?.LogSampleRate;
        if (_log is not null && _log.Enabled && (rate is null ? _log.ShouldSample() : rate >= 1 || Random.Shared.NextDouble() < rate))
        {
            _log.TryEnqueue(new PredictionLogRecord(
                request.RequestId,
                shadow.Name,
                shadow.Version,
                _time.GetUtcNow().ToUnixTimeMilliseconds(),
                (long)elapsed.TotalMicroseconds,
                status,
                request.Protocol,
                Encoding.UTF8.GetString(request.Body, 0, request.Length),
                status == StatusCodes.Status200OK ? Encoding.UTF8.GetString(response.WrittenSpan) : null,
                error));
        }

        Interlocked.Increment(ref _completed);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Shadow model {ModelName} version {ModelVersion} failed on a mirrored request")]
    private static partial void LogShadowError(ILogger logger, Exception exception, string modelName, string modelVersion);
}
