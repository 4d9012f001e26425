using Strata.Core.Tracking;

namespace Strata.Client;

// What a search asks for, minus the page token: the single-page methods take the token separately,
// the IAsyncEnumerable methods follow it until the server stops sending one.

public sealed record ExperimentSearch(
    string? Filter = null,
    IReadOnlyList<string>? OrderBy = null,
    ViewType ViewType = ViewType.ACTIVE_ONLY,
    int MaxResults = 1000);

public sealed record RunSearch(
    IReadOnlyList<string> ExperimentIds,
    string? Filter = null,
    IReadOnlyList<string>? OrderBy = null,
    ViewType ViewType = ViewType.ACTIVE_ONLY,
    int MaxResults = 1000);

public sealed record LoggedModelOrder(string FieldName, bool Ascending = true, string? DatasetName = null, string? DatasetDigest = null);

public sealed record LoggedModelDatasetFilter(string DatasetName, string? DatasetDigest = null);

public sealed record LoggedModelSearch(
    IReadOnlyList<string> ExperimentIds,
    string? Filter = null,
    IReadOnlyList<LoggedModelOrder>? OrderBy = null,
    IReadOnlyList<LoggedModelDatasetFilter>? Datasets = null,
    int MaxResults = 50);

public sealed record RegisteredModelSearch(string? Filter = null, IReadOnlyList<string>? OrderBy = null, int MaxResults = 100);

public sealed record ModelVersionSearch(string? Filter = null, IReadOnlyList<string>? OrderBy = null, int MaxResults = 10_000);

/// <summary>Trace search (SearchTracesV3): MLflow's trace filter grammar and order_by terms over the experiments.</summary>
public sealed record TraceSearch(
    IReadOnlyList<string> ExperimentIds,
    string? Filter = null,
    IReadOnlyList<string>? OrderBy = null,
    int MaxResults = 100);
