using Strata.Client.Fluent;
using Strata.Core.Tracking;

namespace Strata.Client;

/// <summary>
/// An active run with a non-blocking metric logger. End it with <see cref="EndAsync"/>, by disposing it
/// (<c>await using</c>: FINISHED), or run the body through <see cref="StrataClient.RunAsync"/>, which ends
/// the run FAILED when an exception escapes (KILLED when it is a cancellation).
/// </summary>
/// <remarks>
/// Why not FAILED from <c>DisposeAsync</c>: a dispose cannot see whether an exception is leaving the
/// <c>await using</c> scope, so it always ends FINISHED. When the status matters, use <c>RunAsync</c> /
/// <c>RunChildAsync</c>, or call <c>EndAsync(RunStatus.FAILED)</c> in your own catch.
/// </remarks>
public sealed class StrataRun : IAsyncDisposable
{
    public const string ParentRunIdTag = "mlflow.parentRunId";

    private readonly MetricBuffer _metrics;
    private readonly object _endLock = new();
    private Task? _end;

    internal StrataRun(StrataClient client, Run run, StrataRun? parent)
    {
        Client = client;
        Info = run.Info;
        Parent = parent;
        _metrics = new MetricBuffer(client, run.Info.RunId);
        client.RememberRunArtifactUri(run.Info.RunId, run.Info.ArtifactUri);
    }

    public StrataClient Client { get; }

    /// <summary>The run as created (status RUNNING). <see cref="GetAsync"/> reads the current state.</summary>
    public RunInfo Info { get; }

    public string RunId => Info.RunId;

    public string ExperimentId => Info.ExperimentId;

    public string ArtifactUri => Info.ArtifactUri;

    public StrataRun? Parent { get; }

    public bool IsEnded => Volatile.Read(ref _end) is not null;

    /// <summary>Points handed to the server so far.</summary>
    public long MetricsDelivered => _metrics.Delivered;

    /// <summary>Points queued or in flight.</summary>
    public long MetricsPending => _metrics.Pending;

    /// <summary>
    /// Queues a metric point and returns at once; a background loop sends it in log-batch calls. When the
    /// buffer (<see cref="StrataClientOptions.MetricBufferCapacity"/>) is full this blocks the thread until there
    /// is room, or throws in <see cref="MetricBufferFullMode.Throw"/> mode. Throws at once for an invalid key,
    /// and after the server has rejected earlier points.
    /// </summary>
    public void LogMetric(string key, double value, long step = 0, long? timestamp = null) =>
        _metrics.Add(key, value, step, timestamp ?? StrataClient.NowMs());

    /// <summary>Like <see cref="LogMetric"/>, but a full buffer is awaited asynchronously instead of blocking.</summary>
    public ValueTask LogMetricAsync(string key, double value, long step = 0, long? timestamp = null, CancellationToken ct = default) =>
        _metrics.AddAsync(key, value, step, timestamp ?? StrataClient.NowMs(), ct);

    /// <summary>Waits until every point logged so far is on the server.</summary>
    public Task FlushMetricsAsync(CancellationToken ct = default) => _metrics.FlushAsync(ct);

    /// <summary>Logs a parameter now (not buffered: a conflicting value must fail here).</summary>
    public Task LogParamAsync(string key, string value, CancellationToken ct = default) =>
        Client.LogParamAsync(RunId, key, value, ct);

    /// <summary>Logs many parameters in log-batch calls of 100.</summary>
    public async Task LogParamsAsync(IEnumerable<KeyValuePair<string, string>> parameters, CancellationToken ct = default)
    {
        foreach (var chunk in parameters.Select(p => new KeyValue(p.Key, p.Value)).Chunk(100))
        {
            await Client.LogBatchAsync(RunId, parameters: chunk, ct: ct).ConfigureAwait(false);
        }
    }

    public Task SetTagAsync(string key, string value, CancellationToken ct = default) => Client.SetTagAsync(RunId, key, value, ct);

    public Task DeleteTagAsync(string key, CancellationToken ct = default) => Client.DeleteTagAsync(RunId, key, ct);

    /// <summary>Records that the run used <paramref name="dataset"/>, with the <c>mlflow.data.context</c> input tag (e.g. training).</summary>
    public Task LogInputAsync(Dataset dataset, string? context = "training", IEnumerable<KeyValue>? tags = null, CancellationToken ct = default)
    {
        var inputTags = new List<KeyValue>(tags ?? []);
        if (context is not null)
        {
            inputTags.Add(new KeyValue("mlflow.data.context", context));
        }
        return Client.LogInputsAsync(RunId, [new DatasetInput(inputTags, dataset)], ct: ct);
    }

    public Task LogArtifactAsync(string localPath, string? artifactDirectory = null, CancellationToken ct = default) =>
        Client.LogArtifactFileAsync(RunId, localPath, artifactDirectory, ct);

    public Task LogArtifactsAsync(string localDirectory, string? artifactDirectory = null, CancellationToken ct = default) =>
        Client.LogArtifactDirectoryAsync(RunId, localDirectory, artifactDirectory, ct);

    public Task UploadArtifactAsync(string artifactPath, Stream content, CancellationToken ct = default) =>
        Client.UploadArtifactToUriAsync(ArtifactUri, artifactPath, content, ct);

    public Task<Run> GetAsync(CancellationToken ct = default) => Client.GetRunAsync(RunId, ct);

    /// <summary>Starts a nested run in the same experiment (tag <c>mlflow.parentRunId</c>).</summary>
    public Task<StrataRun> StartChildRunAsync(string? runName = null, IEnumerable<KeyValue>? tags = null, CancellationToken ct = default) =>
        Client.StartRunAsync(experimentId: ExperimentId, runName: runName, tags: tags, parent: this, ct: ct);

    /// <summary>Runs <paramref name="body"/> in a nested run, ending it FINISHED, or FAILED/KILLED if the body throws.</summary>
    public async Task<T> RunChildAsync<T>(string? runName, Func<StrataRun, Task<T>> body, CancellationToken ct = default) =>
        await StrataClient.RunScopeAsync(StartChildRunAsync(runName, ct: ct), body, ct).ConfigureAwait(false);

    public Task RunChildAsync(string? runName, Func<StrataRun, Task> body, CancellationToken ct = default) =>
        RunChildAsync<bool>(runName, async r => { await body(r).ConfigureAwait(false); return true; }, ct);

    /// <summary>
    /// Delivers the buffered metrics, then sets the status and end time. Only the first call acts; later calls
    /// return the same task. Throws <see cref="MetricFlushException"/> (after still recording the status) if
    /// metric points could not be delivered within <see cref="StrataClientOptions.MetricFlushTimeout"/>.
    /// </summary>
    public Task EndAsync(RunStatus status = RunStatus.FINISHED, CancellationToken ct = default)
    {
        lock (_endLock)
        {
            return _end ??= EndCoreAsync(status, ct);
        }
    }

    private async Task EndCoreAsync(RunStatus status, CancellationToken ct)
    {
        MetricFlushException? flushError = null;
        try
        {
            await _metrics.CompleteAsync(Client.Options.MetricFlushTimeout, ct).ConfigureAwait(false);
        }
        catch (MetricFlushException ex)
        {
            flushError = ex;
        }
        try
        {
            await Client.UpdateRunAsync(RunId, status, StrataClient.NowMs(), ct: ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (flushError is not null)
        {
            throw new AggregateException($"Run {RunId} could not be ended cleanly.", flushError, ex);
        }
        if (flushError is not null)
        {
            throw flushError;
        }
    }

    /// <summary>Ends the run FINISHED unless it was already ended.</summary>
    public async ValueTask DisposeAsync() => await EndAsync(RunStatus.FINISHED).ConfigureAwait(false);
}
