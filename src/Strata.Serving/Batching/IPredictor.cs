using Strata.Core.Models;

namespace Strata.Serving.Batching;

/// <summary>Scores one request's input for a loaded model, either straight away or as part of a micro-batch.</summary>
public interface IPredictor : IAsyncDisposable
{
    ValueTask<ModelOutput> PredictAsync(ModelInput input, CancellationToken ct);
}
