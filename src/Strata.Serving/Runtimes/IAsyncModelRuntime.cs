using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// A runtime whose model runs outside this process (Python workers): a call is awaited rather than run on the caller's
/// thread, and up to <see cref="Concurrency"/> calls run at once. The predictors prefer this over
/// <see cref="IModelRuntime.Predict"/>, and the micro-batcher keeps that many batches in flight.
/// </summary>
public interface IAsyncModelRuntime : IModelRuntime
{
    /// <summary>How many calls the runtime scores at the same time (its worker count).</summary>
    int Concurrency { get; }

    /// <summary>Scores the input. <paramref name="ct"/> stops the caller waiting; the call itself still finishes or times out.</summary>
    ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct);
}
