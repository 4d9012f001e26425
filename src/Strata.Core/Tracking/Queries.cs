using Strata.Core.Search;

namespace Strata.Core.Tracking;

public sealed record RunQuery(
    IReadOnlyList<string> ExperimentIds,
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderTerm> OrderBy,
    ViewType ViewType,
    int MaxResults,
    string? PageToken);

public sealed record ExperimentQuery(
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderTerm> OrderBy,
    ViewType ViewType,
    int MaxResults,
    string? PageToken,
    Auth.ReadScope? Readable = null);

/// <summary>
/// <see cref="Datasets"/>: metric filters only consider points logged against one of these datasets (all
/// when empty). <see cref="OrderDatasets"/>, aligned with <see cref="OrderBy"/>: the dataset a metric order
/// term is restricted to, or null.
/// </summary>
public sealed record LoggedModelQuery(
    IReadOnlyList<string> ExperimentIds,
    IReadOnlyList<Comparison> Filter,
    IReadOnlyList<OrderTerm> OrderBy,
    int MaxResults,
    string? PageToken,
    IReadOnlyList<DatasetRef>? Datasets = null,
    IReadOnlyList<DatasetRef?>? OrderDatasets = null);

/// <summary>A dataset named by name and, optionally, digest (any digest when null).</summary>
public sealed record DatasetRef(string Name, string? Digest);

public sealed record NewExperiment(
    string Name,
    string? ArtifactLocation,
    string DefaultArtifactRoot,
    IReadOnlyList<KeyValue> Tags,
    long CreationTime);

/// <summary>A run to create. <see cref="RunName"/> is already resolved (given, from the tag, or generated).</summary>
public sealed record NewRun(
    string RunId,
    string ExperimentId,
    string UserId,
    string RunName,
    long StartTime,
    IReadOnlyList<KeyValue> Tags);

public sealed record NewLoggedModel(
    string ModelId,
    string ExperimentId,
    string Name,
    string? ModelType,
    string? SourceRunId,
    string? CreatorId,
    IReadOnlyList<KeyValue> Params,
    IReadOnlyList<KeyValue> Tags,
    long CreationTimestampMs);
