using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Strata.Client.Tracing;

/// <summary>
/// MLflow 3 tracing for .NET: spans are <see cref="Activity"/> objects, so any instrumented library's spans
/// (<c>System.Net.Http</c>, Semantic Kernel, ...) started inside a span join the trace. An <see cref="ActivityListener"/>
/// records the spans of traces started here; when a trace's root span ends, the trace is logged in the background
/// the way MLflow's Python client does: StartTraceV3 with the trace info, then <c>traces.json</c> with the spans
/// uploaded to the trace's artifact location. Dispose (or <see cref="FlushAsync"/>) to wait for the export.
/// </summary>
public sealed class StrataTracing : IAsyncDisposable, IDisposable
{
    /// <summary>The name of <see cref="Source"/>.</summary>
    public const string SourceName = "Strata.Tracing";

    /// <summary>The activity source of spans started with <see cref="StartSpan"/>.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    private readonly StrataClient _client;
    private readonly StrataTracingOptions _options;
    private readonly ActivityListener _listener;
    private readonly ConcurrentDictionary<ActivityTraceId, TraceBuffer> _open = new();
    private readonly Channel<TraceBuffer> _finished;
    private readonly Task _exporter;
    private readonly HashSet<string> _exactSources;
    private readonly string[] _prefixSources;
    private long _dropped;
    private long _failed;
    private long _pending;
    private TaskCompletionSource _idle = NewIdle();

    public StrataTracing(StrataClient client, StrataTracingOptions options)
    {
        _client = client;
        _options = options;
        _exactSources = options.Sources.Where(s => !s.EndsWith('*')).ToHashSet(StringComparer.Ordinal);
        _prefixSources = options.Sources.Where(s => s.EndsWith('*')).Select(s => s[..^1]).ToArray();
        _finished = Channel.CreateBounded<TraceBuffer>(new BoundedChannelOptions(options.MaxQueuedTraces)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        });
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName || _exactSources.Contains(s.Name) || _prefixSources.Any(p => s.Name.StartsWith(p, StringComparison.Ordinal)),
            Sample = Sample,
            ActivityStarted = OnStarted,
            ActivityStopped = OnStopped,
        };
        // Names, not the static instance, identify the source: a listener is asked about a source while the source is
        // being constructed, before the static field holding it is assigned.
        ActivitySource.AddActivityListener(_listener);
        // The exporter's own HTTP calls must not become spans: it runs with no current activity, so they start
        // outside any trace of ours and are not sampled.
        using (ExecutionContext.SuppressFlow())
        {
            _exporter = Task.Run(ExportLoopAsync);
        }
    }

    /// <summary>Traces dropped because the export queue was full.</summary>
    public long DroppedTraces => Interlocked.Read(ref _dropped);

    /// <summary>Traces whose export failed (logged through the client's logger).</summary>
    public long FailedTraces => Interlocked.Read(ref _failed);

    /// <summary>
    /// Starts a span: the root of a new trace, or a child of the current span. Returns null when nothing listens
    /// (this instance is disposed). Use with <c>using</c>.
    /// </summary>
    public StrataSpan? StartSpan(string name, string spanType = "UNKNOWN", object? inputs = null)
    {
        var activity = Source.StartActivity(name, ActivityKind.Internal);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag(StrataSpan.SpanTypeKey, spanType);
        var span = new StrataSpan(activity);
        if (inputs is not null)
        {
            span.SetInputs(inputs);
        }

        return span;
    }

    /// <summary>Runs <paramref name="work"/> in a span (MLflow's <c>@mlflow.trace</c>): inputs and outputs recorded, a throw marks it failed.</summary>
    public async Task<T> TraceAsync<T>(string name, Func<StrataSpan?, Task<T>> work, string spanType = "UNKNOWN", object? inputs = null)
    {
        using var span = StartSpan(name, spanType, inputs);
        try
        {
            var result = await work(span).ConfigureAwait(false);
            span?.SetOutputs(result);
            span?.SetStatus(ActivityStatusCode.Ok);
            return result;
        }
        catch (Exception ex)
        {
            span?.RecordException(ex);
            throw;
        }
    }

    /// <summary>Waits until every trace finished so far is exported.</summary>
    public Task FlushAsync(CancellationToken ct = default)
    {
        var idle = Volatile.Read(ref _idle);
        return Interlocked.Read(ref _pending) == 0 ? Task.CompletedTask : idle.Task.WaitAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        _finished.Writer.TryComplete();
        await _exporter.ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private ActivitySamplingResult Sample(ref ActivityCreationOptions<ActivityContext> options)
    {
        if (options.Source.Name == SourceName)
        {
            return ActivitySamplingResult.AllDataAndRecorded;
        }

        // Other sources are recorded only inside a trace started here.
        return options.Parent != default && _open.ContainsKey(options.Parent.TraceId)
            ? ActivitySamplingResult.AllDataAndRecorded
            : ActivitySamplingResult.None;
    }

    /// <summary>A root span of ours opens its trace's buffer, so spans started inside it (any listened source) are sampled into it.</summary>
    private void OnStarted(Activity activity)
    {
        if (activity.Source.Name == SourceName && activity.Parent is null)
        {
            _open.TryAdd(activity.TraceId, new TraceBuffer(activity.TraceId, activity));
        }
    }

    private void OnStopped(Activity activity)
    {
        if (!_open.TryGetValue(activity.TraceId, out var buffer))
        {
            return;
        }

        buffer.Spans.Enqueue(activity);
        if (!ReferenceEquals(activity, buffer.Root))
        {
            return;
        }

        // The root ended: the trace is complete (spans still running under it are not part of it).
        _open.TryRemove(activity.TraceId, out _);
        Interlocked.Increment(ref _pending);
        if (!_finished.Writer.TryWrite(buffer))
        {
            Interlocked.Increment(ref _dropped);
            Done();
        }
    }

    private async Task ExportLoopAsync()
    {
        Activity.Current = null;
        await foreach (var trace in _finished.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _client.LogTraceAsync(MlflowTraceDocument.Build(trace, _options.ExperimentId, _options.MaxPreviewLength), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is StrataApiException or HttpRequestException or IOException or TaskCanceledException)
            {
                Interlocked.Increment(ref _failed);
                _client.Logger.LogWarning(ex, "Could not log trace {TraceId} to MLflow", trace.TraceId.ToHexString());
            }
            finally
            {
                Done();
            }
        }
    }

    private void Done()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            Interlocked.Exchange(ref _idle, NewIdle()).TrySetResult();
        }
    }

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The finished spans of one trace, collected until its root ends.</summary>
    internal sealed class TraceBuffer(ActivityTraceId traceId, Activity root)
    {
        public ActivityTraceId TraceId { get; } = traceId;

        public Activity Root { get; } = root;

        public ConcurrentQueue<Activity> Spans { get; } = new();
    }
}
