using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore
{
    public Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct) => throw new NotImplementedException();
    public Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct) => throw new NotImplementedException();
    public Task<Page<LoggedModel>> SearchLoggedModelsAsync(LoggedModelQuery query, CancellationToken ct) => throw new NotImplementedException();
}
