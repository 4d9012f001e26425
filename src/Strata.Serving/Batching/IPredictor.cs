using Strata.Core.Models;

namespace Strata.Serving.Batching;

/// <summary>Scores one request's input for a loaded model, either straight away or as part of a micro-batch.</summary>
public interface IPredictor : IAsyncDisposable
{
    /// <summary>
    /// Whether <see cref="PredictAsync"/> can wait (for a batch) and so needs a token that can cancel it; a predictor
    /// that runs the model inline ignores its token, and the caller can skip making one.
    /// </summary>
    bool Waits { get; }

    ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct);
}
