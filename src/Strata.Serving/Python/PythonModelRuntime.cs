using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Python;

/// <summary>
/// Serves a model through its <c>python_function</c> flavor: the request is parsed and enforced against the signature in
/// .NET, and only <c>predict</c> runs, in a pool of Python worker processes, one call (a request or a whole micro-batch)
/// per frame. The input reaches the model as MLflow's scoring server gives it: a pandas DataFrame for a column-based
/// signature, a numpy array (or a dict of them) for a tensor-based one.
/// </summary>
public sealed class PythonModelRuntime : IAsyncModelRuntime, IAsyncDisposable
{
    public const string FlavorName = "python_function";

    private readonly PythonWorkerPool _pool;
    private readonly bool _table;
    private readonly bool _single;

    internal PythonModelRuntime(MlModel model, ModelSchema inputs, ModelSchema outputs, PythonWorkerPool pool)
    {
        Model = model;
        InputSchema = inputs;
        OutputSchema = outputs;
        _pool = pool;
        _table = !inputs.IsTensorBased;
        // An unnamed single tensor reaches the model as a bare array, as MLflow passes it.
        _single = inputs.IsTensorBased && inputs.Count == 1 && !inputs.HasNames;
    }

    public string Flavor => FlavorName;

    public MlModel Model { get; }

    public ModelSchema InputSchema { get; }

    public ModelSchema OutputSchema { get; }

    public int Concurrency => _pool.Size;

    /// <summary>Params go to the worker, which passes them to <c>predict(data, params=...)</c> when it takes them.</summary>
    public bool TakesParams => true;

    /// <summary>The worker processes now serving this version.</summary>
    public IReadOnlyList<int> WorkerProcessIds => _pool.ProcessIds;

    /// <summary>How many workers have been replaced (crashed, timed out or failed a health check).</summary>
    public int WorkerRestarts => _pool.Restarts;

    /// <summary>How the workers loaded the model: <c>mlflow</c> (mlflow.pyfunc.load_model), <c>python_function</c> or <c>pickle</c>.</summary>
    public string Loader => _pool.Loader;

    public ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct) => PredictAsync(input, null, ct);

    /// <summary>A call with its own time limit (the warm-up call, which may pay for first-call costs, gets the start timeout).</summary>
    internal async ValueTask<ModelOutput> PredictAsync(ModelInput input, TimeSpan? timeout, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var activity = ModelActivity.StartPredict(Flavor, input.RowCount);
        // Without a signature the request's own form decides what the model gets (a DataFrame, one array, a dict).
        var (table, single) = input.Form switch
        {
            InputForm.Table => (true, false),
            InputForm.Array => (false, true),
            InputForm.Columns => (false, false),
            _ => (_table, _single),
        };
        var reply = await _pool.CallAsync((frame, id) => WorkerFrames.WritePredict(frame, id, input, table, single), ct, timeout).ConfigureAwait(false);
        return WorkerFrames.ToOutput(reply);
    }

    /// <summary>For callers that cannot await (the serving path always awaits <see cref="PredictAsync"/>).</summary>
    public ModelOutput Predict(ModelInput input) => PredictAsync(input, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    /// <summary>Stops the workers (each gets a moment to exit on its own before it is killed).</summary>
    public ValueTask DisposeAsync() => _pool.DisposeAsync();

    public void Dispose() => _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
