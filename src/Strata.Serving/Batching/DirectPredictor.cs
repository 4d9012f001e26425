using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Batching;

/// <summary>
/// Batching off: each request is one model call, on the request's own thread (or, for a runtime that scores out of
/// process, awaited with the request's deadline).
/// </summary>
public sealed class DirectPredictor(IModelRuntime runtime, Action<int>? onModelCall = null) : IPredictor
{
    private readonly IAsyncModelRuntime? _async = runtime as IAsyncModelRuntime;

    public bool Waits => _async is not null;

    public ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct)
    {
        if (_async is not null)
        {
            return PredictOutOfProcessAsync(input, ct);
        }

        var output = runtime.Predict(input);
        onModelCall?.Invoke(input.RowCount);
        return ValueTask.FromResult(output);
    }

    private async ValueTask<ModelOutput> PredictOutOfProcessAsync(ModelInput input, CancellationToken ct)
    {
        var output = await _async!.PredictAsync(input, ct).ConfigureAwait(false);
        onModelCall?.Invoke(input.RowCount);
        return output;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
