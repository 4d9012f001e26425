using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// One loaded model version, ready to score. Thread-safe: many requests (or batches) may call
/// <see cref="Predict"/> at once. The serving layer parses request bodies straight into a <see cref="ModelInput"/>
/// shaped by <see cref="InputSchema"/>; the runtime enforces the schema and returns named output columns or tensors.
/// Dispose a runtime only once no call is in flight (swap the route first, then drain).
/// </summary>
public interface IModelRuntime : IDisposable
{
    /// <summary>The flavor that was loaded (<c>mlnet</c>, <c>onnx</c>).</summary>
    string Flavor { get; }

    /// <summary>The MLmodel file of the loaded folder.</summary>
    MlModel Model { get; }

    /// <summary>What the model takes: the signature's inputs, or one derived from the model itself.</summary>
    ModelSchema InputSchema { get; }

    /// <summary>What the model returns, with the same names as the tensors of a <see cref="ModelOutput"/>.</summary>
    ModelSchema OutputSchema { get; }

    /// <summary>
    /// Whether the model reads request-time params (<see cref="ModelInput.Params"/>: the request's <c>params</c>, checked
    /// against the signature, with its defaults for the rest). The serving layer attaches them only for such runtimes:
    /// MLflow hands params only to models whose <c>predict(data, params)</c> reads them, and an ML.NET chain or an ONNX
    /// graph has no inference-time params.
    /// </summary>
    bool TakesParams => false;

    /// <summary>Scores every row of the input (one model call for the whole batch where the flavor allows).
    /// Bad input throws <see cref="Core.Errors.MlflowException"/> with INVALID_PARAMETER_VALUE.</summary>
    ModelOutput Predict(ModelInput input);
}
