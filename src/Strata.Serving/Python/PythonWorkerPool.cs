using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Strata.Core.Errors;

namespace Strata.Serving.Python;

/// <summary>
/// N workers for one loaded model version. A call takes an idle worker (waiting for one when all are busy), so calls
/// spread over the workers as they free up. A worker that exits (crash, kill, timeout) is replaced in the background,
/// retrying with backoff; only the call it was running fails. Idle workers are pinged now and then, and one that does
/// not answer is killed and replaced. Disposing stops every worker.
/// </summary>
internal sealed partial class PythonWorkerPool : IAsyncDisposable
{
    private readonly PythonWorkerLaunch _launch;
    private readonly PythonWorkerOptions _options;
    private readonly TimeSpan _callTimeout;
    private readonly ILogger _logger;
    private readonly Channel<PythonWorker> _idle = Channel.CreateUnbounded<PythonWorker>();
    private readonly PythonWorker?[] _slots;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _health;
    private int _restarts;

    private PythonWorkerPool(PythonWorkerLaunch launch, PythonWorkerOptions options, TimeSpan callTimeout, ILogger logger, PythonWorker[] workers)
    {
        _launch = launch;
        _options = options;
        _callTimeout = callTimeout;
        _logger = logger;
        _slots = workers;
        for (var i = 0; i < workers.Length; i++)
        {
            Watch(i, workers[i]);
            _idle.Writer.TryWrite(workers[i]);
        }

        _health = Task.Run(HealthLoopAsync);
    }

    public int Size => _slots.Length;

    /// <summary>The worker processes now running (a replaced one drops out once its successor has started).</summary>
    public IReadOnlyList<int> ProcessIds => _slots.Where(w => w is { HasExited: false }).Select(w => w!.Pid).ToList();

    /// <summary>How many workers have been replaced since the pool started.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>How the workers loaded the model (<c>mlflow</c>, <c>python_function</c> or <c>pickle</c>).</summary>
    public string Loader => _slots.FirstOrDefault(w => w is not null)?.Loader ?? "";

    /// <summary>Starts every worker at once; if any fails to load the model, the others are stopped and the error thrown.</summary>
    public static async Task<PythonWorkerPool> StartAsync(
        PythonWorkerLaunch launch, PythonWorkerOptions options, TimeSpan callTimeout, ILogger logger, CancellationToken ct)
    {
        var starts = Enumerable.Range(0, options.Workers)
            .Select(_ => PythonWorker.StartAsync(launch, options.StartTimeout, logger, ct))
            .ToList();
        try
        {
            await Task.WhenAll(starts).ConfigureAwait(false);
        }
        catch
        {
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully))
            {
                await start.Result.DisposeAsync().ConfigureAwait(false);
            }

            throw starts.First(s => s.IsFaulted).Exception!.InnerException!;
        }

        var workers = starts.Select(s => s.Result).ToArray();
        LogStarted(logger, workers.Length, launch.ModelName, launch.Python, workers[0].Loader);
        return new PythonWorkerPool(launch, options, callTimeout, logger, workers);
    }

    /// <summary>
    /// Runs one call on an idle worker. <paramref name="ct"/> stops the wait (for a worker or for the answer); a call
    /// already sent runs on, and its worker goes back to the pool when it answers or is killed at the call timeout.
    /// </summary>
    public async Task<WorkerReply> CallAsync(Action<ArrayBufferWriter<byte>, long> write, CancellationToken ct, TimeSpan? timeout = null)
    {
        while (true)
        {
            PythonWorker worker;
            try
            {
                worker = await _idle.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new MlflowException(ErrorCode.TEMPORARILY_UNAVAILABLE, $"Model '{_launch.ModelName}' is being unloaded; retry the request.");
            }

            if (worker.HasExited)
            {
                continue; // Its replacement is on the way (the exit watcher started it).
            }

            var call = RunAsync(worker, write, timeout ?? _callTimeout);
            return await call.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task<WorkerReply> RunAsync(PythonWorker worker, Action<ArrayBufferWriter<byte>, long> write, TimeSpan timeout)
    {
        var healthy = false;
        try
        {
            var reply = await worker.CallAsync(write, timeout).ConfigureAwait(false);
            healthy = true;
            return reply;
        }
        finally
        {
            if (healthy && !worker.HasExited)
            {
                _idle.Writer.TryWrite(worker);
            }
            else
            {
                worker.Kill();
            }
        }
    }

    private void Watch(int slot, PythonWorker worker) =>
        _ = worker.Exited.ContinueWith(_ => ReplaceAsync(slot, worker), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task ReplaceAsync(int slot, PythonWorker dead)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        LogWorkerExited(_logger, dead.Pid, _launch.ModelName);
        await dead.DisposeAsync().ConfigureAwait(false);
        var delay = TimeSpan.FromMilliseconds(200);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var next = await PythonWorker.StartAsync(_launch, _options.StartTimeout, _logger, _stopping.Token).ConfigureAwait(false);
                if (_stopping.IsCancellationRequested)
                {
                    await next.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                _slots[slot] = next;
                Interlocked.Increment(ref _restarts);
                Watch(slot, next);
                _idle.Writer.TryWrite(next);
                LogWorkerReplaced(_logger, dead.Pid, next.Pid, _launch.ModelName);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogRestartFailed(_logger, e, _launch.ModelName, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    /// <summary>Pings the workers that are idle now; one that does not answer in time is killed (and so replaced).</summary>
    private async Task HealthLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.HealthCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var idle = new List<PythonWorker>();
                while (idle.Count < _slots.Length && _idle.Reader.TryRead(out var worker))
                {
                    idle.Add(worker);
                }

                foreach (var worker in idle)
                {
                    if (worker.HasExited)
                    {
                        continue;
                    }

                    _ = PingAsync(worker);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task PingAsync(PythonWorker worker)
    {
        try
        {
            var timeout = _options.HealthCheckInterval < TimeSpan.FromSeconds(5) ? _options.HealthCheckInterval : TimeSpan.FromSeconds(5);
            var reply = await worker.CallAsync(static (frame, id) => WorkerFrames.WriteControl(frame, id, "ping"), timeout).ConfigureAwait(false);
            if (reply.Ok)
            {
                _idle.Writer.TryWrite(worker);
                return;
            }
        }
        catch (MlflowException e)
        {
            LogPingFailed(_logger, worker.Pid, _launch.ModelName, e.Message);
        }

        worker.Kill();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _idle.Writer.TryComplete();
        try
        {
            await _health.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await Task.WhenAll(_slots.Where(w => w is not null).Select(w => w!.DisposeAsync().AsTask())).ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {Count} Python workers for {ModelName} with {Python} (loaded with {Loader})")]
    private static partial void LogStarted(ILogger logger, int count, string modelName, string python, string loader);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Python worker {Pid} of {ModelName} exited; starting a replacement")]
    private static partial void LogWorkerExited(ILogger logger, int pid, string modelName);

    [LoggerMessage(Level = LogLevel.Information, Message = "Python worker {OldPid} of {ModelName} replaced by {NewPid}")]
    private static partial void LogWorkerReplaced(ILogger logger, int oldPid, int newPid, string modelName);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not restart a Python worker of {ModelName}; retrying in {DelaySeconds} s")]
    private static partial void LogRestartFailed(ILogger logger, Exception exception, string modelName, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Python worker {Pid} of {ModelName} failed its health check ({Reason}); replacing it")]
    private static partial void LogPingFailed(ILogger logger, int pid, string modelName, string reason);
}
