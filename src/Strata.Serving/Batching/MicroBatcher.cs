using System.Diagnostics;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Batching;

/// <summary>
/// Adaptive micro-batching for one runtime. Requests go into a channel; one loop takes the first, then keeps taking
/// until the batch holds <see cref="BatchingOptions.MaxBatchSize"/> rows, the max delay has passed since the first,
/// or every request now in flight for this model is already in the batch (so a lone client never waits), runs one
/// model call and completes each request with its rows of the output. While it waits for a batch to fill, the loop
/// sleeps until the request that completes it arrives (not woken by each arrival, nor by a timer per arrival). If
/// the joint call fails, each request is run alone so every caller gets its own answer or error.
/// </summary>
public sealed class MicroBatcher : IPredictor
{
    private readonly IModelRuntime _runtime;
    private readonly BatchingOptions _options;
    private readonly Func<int> _inFlight;
    private readonly IAsyncModelRuntime? _async;

    // Out-of-process runtimes (Python workers) score several batches at once: one slot per worker, and the requests of
    // batches already sent are not waited for when deciding whether a new batch is complete.
    private readonly SemaphoreSlim? _slots;
    private int _running;
    private readonly Action<int>? _onModelCall;
    private readonly Channel<Work> _queue = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;

    // While the loop gathers a batch it sleeps on _complete, and the request that completes the batch (every request
    // in flight has joined, or the rows reach the maximum) wakes it: one wake-up a batch, not one per arrival.
    private readonly SemaphoreSlim _complete = new(0);
    private int _gathering;
    private int _gatheredRequests;
    private int _gatheredRows;
    private int _queuedRequests;
    private int _queuedRows;

    /// <param name="inFlight">How many requests for this model are being served right now (the route's lease count).</param>
    /// <param name="onModelCall">Told the row count of every model call (the batch-size histogram).</param>
    public MicroBatcher(IModelRuntime runtime, BatchingOptions options, Func<int> inFlight, Action<int>? onModelCall = null)
    {
        _runtime = runtime;
        _options = options.For(runtime);
        _inFlight = inFlight;
        _onModelCall = onModelCall;
        _async = runtime as IAsyncModelRuntime;
        _slots = _async is null ? null : new SemaphoreSlim(Math.Max(1, _async.Concurrency));
        _loop = Task.Run(RunAsync);
    }

    public bool Waits => true;

    public ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct)
    {
        // A request that gives up (timeout, client gone) stops waiting; its rows still go through the batch they
        // joined and the answer is dropped, so the other requests in that batch are unaffected.
        var work = new Work(input, ct);
        Interlocked.Increment(ref _queuedRequests);
        Interlocked.Add(ref _queuedRows, input.RowCount);
        if (!_queue.Writer.TryWrite(work))
        {
            Taken(work);
            work.Cancel();
            throw new MlflowException(ErrorCode.TEMPORARILY_UNAVAILABLE, "The model is being unloaded; retry the request.");
        }

        if (Volatile.Read(ref _gathering) == 1 && BatchComplete() && Interlocked.CompareExchange(ref _gathering, 0, 1) == 1)
        {
            _complete.Release();
        }

        return work.Answer;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        if (_slots is not null)
        {
            // Wait for the batches still with the workers.
            for (var i = 0; i < _async!.Concurrency; i++)
            {
                await _slots.WaitAsync().ConfigureAwait(false);
            }

            _slots.Dispose();
        }

        _complete.Dispose();
    }

    /// <summary>Whether the batch being gathered plus the queue hold every request in flight, or the most rows a call takes.</summary>
    private bool BatchComplete() =>
        Volatile.Read(ref _gatheredRequests) + Volatile.Read(ref _queuedRequests) >= Pending()
        || Volatile.Read(ref _gatheredRows) + Volatile.Read(ref _queuedRows) >= _options.RowLimit;

    /// <summary>Requests in flight for this model that are not already in a batch being scored.</summary>
    private int Pending() => _inFlight() - Volatile.Read(ref _running);

    private void Taken(Work work)
    {
        Interlocked.Decrement(ref _queuedRequests);
        Interlocked.Add(ref _queuedRows, -work.Input.RowCount);
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Work>(_options.RowLimit);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_slots is not null)
            {
                // Requests keep queueing while every worker is busy, so the next batch is fuller.
                await _slots.WaitAsync().ConfigureAwait(false);
            }

            if (!reader.TryRead(out var first))
            {
                _slots?.Release();
                continue;
            }

            Taken(first);
            batch.Add(first);
            var rows = first.Input.RowCount;
            var started = Stopwatch.GetTimestamp();
            while (rows < _options.RowLimit)
            {
                if (reader.TryRead(out var next))
                {
                    Taken(next);
                    batch.Add(next);
                    rows += next.Input.RowCount;
                    continue;
                }

                var remaining = _options.MaxDelay - Stopwatch.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero || batch.Count >= Pending())
                {
                    break;
                }

                await GatherAsync(batch.Count, rows, remaining).ConfigureAwait(false);
            }

            if (_async is not null)
            {
                var sent = batch.ToArray();
                batch.Clear();
                Interlocked.Add(ref _running, sent.Length);
                _ = RunOutOfProcessAsync(sent);
                continue;
            }

            Run(batch);
            batch.Clear();
        }
    }

    /// <summary>
    /// One batch on an out-of-process runtime, holding a worker slot until it is answered. As with <see cref="Run"/>, a
    /// joint call the model rejects is repeated per request; a worker that crashed or timed out fails its requests
    /// instead (repeating them would only multiply the wait).
    /// </summary>
    private async Task RunOutOfProcessAsync(Work[] batch)
    {
        try
        {
            if (batch.Length == 1)
            {
                await RunAloneAsync(batch[0]).ConfigureAwait(false);
                return;
            }

            var joint = new List<Work>(batch.Length);
            var inputs = new List<ModelInput>(batch.Length);
            foreach (var work in batch)
            {
                if (TensorRows.Compatible(batch[0].Input, work.Input))
                {
                    joint.Add(work);
                    inputs.Add(work.Input);
                }
                else
                {
                    await RunAloneAsync(work).ConfigureAwait(false);
                }
            }

            ModelOutput output;
            try
            {
                var input = TensorRows.Concat(inputs);
                output = await _async!.PredictAsync(input, CancellationToken.None).ConfigureAwait(false);
                _onModelCall?.Invoke(input.RowCount);
                if (output.RowCount != input.RowCount || !output.Tensors.All(TensorRows.CanSlice))
                {
                    throw new InvalidOperationException("The batch output is not row-aligned with its input.");
                }
            }
            catch (MlflowException e) when (e.Code is ErrorCode.INTERNAL_ERROR or ErrorCode.DEADLINE_EXCEEDED or ErrorCode.TEMPORARILY_UNAVAILABLE)
            {
                foreach (var work in joint)
                {
                    work.SetException(e);
                }

                return;
            }
            catch (Exception)
            {
                foreach (var work in joint)
                {
                    await RunAloneAsync(work).ConfigureAwait(false);
                }

                return;
            }

            Answer(joint, output);
        }
        finally
        {
            Interlocked.Add(ref _running, -batch.Length);
            _slots!.Release();
        }
    }

    private async Task RunAloneAsync(Work work)
    {
        try
        {
            var output = await _async!.PredictAsync(work.Input, CancellationToken.None).ConfigureAwait(false);
            _onModelCall?.Invoke(work.Input.RowCount);
            work.SetResult(output);
        }
        catch (Exception e)
        {
            work.SetException(e);
        }
    }

    /// <summary>
    /// Sleeps until the request that completes the batch wakes the loop, or <paramref name="remaining"/> has passed.
    /// The flag is set before the last check and cleared after the wait, so a request either sees it and wakes the
    /// loop or arrived before the check that then finds the batch complete; a wake-up that races the time limit is
    /// consumed here, so it cannot cut a later wait short.
    /// </summary>
    private async Task GatherAsync(int requests, int rows, TimeSpan remaining)
    {
        Volatile.Write(ref _gatheredRequests, requests);
        Volatile.Write(ref _gatheredRows, rows);
        Interlocked.Exchange(ref _gathering, 1);
        var woken = !BatchComplete() && await _complete.WaitAsync(remaining).ConfigureAwait(false);
        if (Interlocked.Exchange(ref _gathering, 0) == 0 && !woken)
        {
            // A request cleared the flag: its Release is on its way (or done) and belongs to this wait.
            await _complete.WaitAsync().ConfigureAwait(false);
        }
    }

    private void Run(List<Work> batch)
    {
        if (batch.Count == 1)
        {
            RunAlone(batch[0]);
            return;
        }

        // Requests whose tensors cannot be joined with the first are run on their own.
        var joint = new List<Work>(batch.Count);
        var inputs = new List<ModelInput>(batch.Count);
        foreach (var work in batch)
        {
            if (TensorRows.Compatible(batch[0].Input, work.Input))
            {
                joint.Add(work);
                inputs.Add(work.Input);
            }
            else
            {
                RunAlone(work);
            }
        }

        ModelOutput output;
        try
        {
            var input = TensorRows.Concat(inputs);
            output = _runtime.Predict(input);
            _onModelCall?.Invoke(input.RowCount);
            if (output.RowCount != input.RowCount || !output.Tensors.All(TensorRows.CanSlice))
            {
                throw new InvalidOperationException("The batch output is not row-aligned with its input.");
            }
        }
        catch (Exception)
        {
            foreach (var work in joint)
            {
                RunAlone(work);
            }

            return;
        }

        Answer(joint, output);
    }

    /// <summary>Completes each request of a joint call with its rows of the output.</summary>
    private static void Answer(List<Work> joint, ModelOutput output)
    {
        var offset = 0;
        foreach (var work in joint)
        {
            var n = work.Input.RowCount;
            var tensors = new ModelTensor[output.Tensors.Count];
            for (var i = 0; i < tensors.Length; i++)
            {
                tensors[i] = TensorRows.Slice(output.Tensors[i], offset, n);
            }

            offset += n;
            work.SetResult(new ModelOutput(tensors) { Form = output.Form });
        }
    }

    private void RunAlone(Work work)
    {
        try
        {
            var output = _runtime.Predict(work.Input);
            _onModelCall?.Invoke(work.Input.RowCount);
            work.SetResult(output);
        }
        catch (Exception e)
        {
            work.SetException(e);
        }
    }

    /// <summary>
    /// One waiting request: its input and the answer it awaits, in one object (no Task, no WaitAsync wrapper per
    /// request). Answered once, by the batch loop or by the request's cancellation, whichever comes first; the
    /// continuation runs on the thread pool, never on the batch loop.
    /// </summary>
    private sealed class Work : IValueTaskSource<ModelOutput>
    {
        private ManualResetValueTaskSourceCore<ModelOutput> _answer = new() { RunContinuationsAsynchronously = true };
        private readonly CancellationTokenRegistration _cancellation;
        private int _answered;

        public Work(ModelInput input, CancellationToken ct)
        {
            Input = input;
            if (ct.CanBeCanceled)
            {
                _cancellation = ct.UnsafeRegister(static (state, token) => ((Work)state!).SetException(new OperationCanceledException(token)), this);
            }
        }

        public ModelInput Input { get; }

        public ValueTask<ModelOutput> Answer => new(this, _answer.Version);

        public void SetResult(ModelOutput output)
        {
            if (Interlocked.Exchange(ref _answered, 1) == 0)
            {
                _cancellation.Unregister();
                _answer.SetResult(output);
            }
        }

        public void SetException(Exception error)
        {
            if (Interlocked.Exchange(ref _answered, 1) == 0)
            {
                _cancellation.Unregister();
                _answer.SetException(error);
            }
        }

        /// <summary>Never queued: drops the cancellation hook; the answer is never awaited.</summary>
        public void Cancel() => SetException(new OperationCanceledException());

        public ModelOutput GetResult(short token) => _answer.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _answer.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _answer.OnCompleted(continuation, state, token, flags);
    }
}
