namespace Strata.Core.Tracking;

/// <summary>One dataset used by a run of an experiment, with the context it was used in (null when none was logged).</summary>
public sealed record DatasetSummary(string ExperimentId, string Name, string Digest, string? Context);

/// <summary>
/// The UI's dataset list (experiments/search-datasets). Kept apart from <see cref="ITrackingStore"/> because
/// only that UI endpoint reads it.
/// </summary>
public interface ITrackingDatasetStore
{
    /// <summary>
    /// Distinct (experiment, dataset name, digest, context) over the runs' inputs of the given experiments,
    /// at most <paramref name="maxResults"/>, ordered by experiment, name, digest, context.
    /// </summary>
    Task<IReadOnlyList<DatasetSummary>> SearchDatasetsAsync(IReadOnlyList<string> experimentIds, int maxResults, CancellationToken ct);
}
