namespace Strata.Core.Tracking;

// Wire-agnostic inputs of the tracking service. Every field is nullable because the service, not
// the transport, decides what is required, so the rules live in one place and name the field.

public sealed record KeyValueRequest(string? Key, string? Value);

public sealed record MetricRequest(
    string? Key,
    double? Value,
    long? Timestamp,
    long? Step,
    string? ModelId = null,
    string? DatasetName = null,
    string? DatasetDigest = null);

public sealed record DatasetRequest(string? Name, string? Digest, string? SourceType, string? Source, string? Schema, string? Profile);

public sealed record DatasetInputRequest(IReadOnlyList<KeyValueRequest> Tags, DatasetRequest? Dataset);

public sealed record ModelOutputRequest(string? ModelId, long? Step);

public sealed record CreateExperimentRequest(string? Name, string? ArtifactLocation, IReadOnlyList<KeyValueRequest> Tags);

public sealed record SearchExperimentsRequest(
    long? MaxResults,
    string? PageToken,
    string? Filter,
    IReadOnlyList<string> OrderBy,
    ViewType? ViewType);

public sealed record CreateRunRequest(
    string? ExperimentId,
    string? UserId,
    string? RunName,
    long? StartTime,
    IReadOnlyList<KeyValueRequest> Tags);

public sealed record UpdateRunRequest(string? RunId, RunStatus? Status, long? EndTime, string? RunName);

public sealed record LogBatchRequest(
    string? RunId,
    IReadOnlyList<MetricRequest> Metrics,
    IReadOnlyList<KeyValueRequest> Params,
    IReadOnlyList<KeyValueRequest> Tags);

public sealed record SearchRunsRequest(
    IReadOnlyList<string> ExperimentIds,
    string? Filter,
    ViewType? ViewType,
    long? MaxResults,
    IReadOnlyList<string> OrderBy,
    string? PageToken);

public sealed record MetricHistoryRequest(string? RunId, string? MetricKey, long? MaxResults, string? PageToken);

public sealed record MetricHistoryBulkIntervalRequest(
    IReadOnlyList<string> RunIds,
    string? MetricKey,
    long? StartStep,
    long? EndStep,
    long? MaxResults);

public sealed record CreateLoggedModelRequest(
    string? ExperimentId,
    string? Name,
    string? ModelType,
    string? SourceRunId,
    IReadOnlyList<KeyValueRequest> Params,
    IReadOnlyList<KeyValueRequest> Tags);

public sealed record LoggedModelOrderRequest(string? FieldName, bool? Ascending, string? DatasetName, string? DatasetDigest);

public sealed record SearchLoggedModelsRequest(
    IReadOnlyList<string> ExperimentIds,
    string? Filter,
    long? MaxResults,
    IReadOnlyList<LoggedModelOrderRequest> OrderBy,
    string? PageToken,
    IReadOnlyList<LoggedModelDatasetRequest>? Datasets = null);

public sealed record LoggedModelDatasetRequest(string? DatasetName, string? DatasetDigest);
