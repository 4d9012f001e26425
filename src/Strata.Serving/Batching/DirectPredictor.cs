using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Batching;

/// <summary>Batching off: each request is one model call on the request's own thread.</summary>
public sealed class DirectPredictor(IModelRuntime runtime, Action<int>? onModelCall = null) : IPredictor
{
    public bool Waits => false;

    public ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct)
    {
        var output = runtime.Predict(input);
        onModelCall?.Invoke(input.RowCount);
        return ValueTask.FromResult(output);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
