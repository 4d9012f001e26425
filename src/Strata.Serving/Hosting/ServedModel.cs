using Strata.Serving.Batching;
using Strata.Serving.Protocols;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Hosting;

/// <summary>
/// One loaded model version as a route serves it: immutable once built (runtime, input layout, predictor, metrics).
/// Requests hold a lease on it (<see cref="ModelRoute.Acquire"/>) so a swapped-out version is disposed only once its
/// last request has finished.
/// </summary>
public sealed class ServedModel : IAsyncDisposable
{
    private int _inFlight;
    private int _disposed;

    public ServedModel(string name, string version, string source, IModelRuntime runtime, BatchingOptions batching, ServingMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(batching);
        ArgumentNullException.ThrowIfNull(metrics);
        Name = name;
        Version = version;
        Source = source;
        Runtime = runtime;
        Layout = InputLayout.For(runtime);
        Metrics = metrics.For(name, version);
        var batchSize = Metrics.BatchSize;
        Batching = batching.For(runtime);
        Predictor = Batching.Enabled == true
            ? new MicroBatcher(runtime, Batching, () => Volatile.Read(ref _inFlight), rows => batchSize.Observe(rows))
            : new DirectPredictor(runtime, rows => batchSize.Observe(rows));
    }

    public string Name { get; }

    public string Version { get; }

    /// <summary>The URI the version was resolved from.</summary>
    public string Source { get; }

    public IModelRuntime Runtime { get; }

    public InputLayout Layout { get; }

    public IPredictor Predictor { get; }

    /// <summary>The batching this version is served with (the settings given, completed for its runtime).</summary>
    public BatchingOptions Batching { get; }

    public ServingMetrics.ModelMetrics Metrics { get; }

    /// <summary>The Open Inference Protocol platform string.</summary>
    public string Platform => Runtime.Flavor switch
    {
        "onnx" => "onnx_onnxv1",
        "python_function" => "mlflow_pyfunc",
        var flavor => "mlflow_" + flavor,
    };

    public int InFlight => Volatile.Read(ref _inFlight);

    internal void Enter() => Interlocked.Increment(ref _inFlight);

    internal void Exit() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Waits until no request holds this version (it is no longer routed to), then releases it.</summary>
    public async Task DrainAndDisposeAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (InFlight > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5, ct).ConfigureAwait(false);
        }

        await DisposeAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Predictor.DisposeAsync().ConfigureAwait(false);
        if (Runtime is IAsyncDisposable runtime)
        {
            // Out-of-process runtimes stop their workers without blocking a thread.
            await runtime.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            Runtime.Dispose();
        }
    }
}
