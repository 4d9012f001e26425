namespace Strata.Client.Wire;

// Response envelopes, one per distinct shape. All fields nullable: the server omits what is empty.

internal sealed record EmptyResponse;

internal sealed record CreateExperimentResponse(string? ExperimentId);

internal sealed record ExperimentResponse(WireExperiment? Experiment);

internal sealed record SearchExperimentsResponse(List<WireExperiment>? Experiments, string? NextPageToken);

internal sealed record RunResponse(WireRun? Run);

internal sealed record UpdateRunResponse(WireRunInfo? RunInfo);

internal sealed record SearchRunsResponse(List<WireRun>? Runs, string? NextPageToken);

internal sealed record MetricsResponse(List<WireMetric>? Metrics, string? NextPageToken);

internal sealed record ListArtifactsResponse(string? RootUri, List<WireFileInfo>? Files, string? NextPageToken);

internal sealed record LoggedModelResponse(WireLoggedModel? Model);

internal sealed record SearchLoggedModelsResponse(List<WireLoggedModel>? Models, string? NextPageToken);

internal sealed record RegisteredModelResponse(WireRegisteredModel? RegisteredModel);

internal sealed record SearchRegisteredModelsResponse(List<WireRegisteredModel>? RegisteredModels, string? NextPageToken);

internal sealed record ModelVersionResponse(WireModelVersion? ModelVersion);

internal sealed record ModelVersionsResponse(List<WireModelVersion>? ModelVersions, string? NextPageToken);

internal sealed record DownloadUriResponse(string? ArtifactUri);

internal sealed record ErrorResponse(string? ErrorCode, string? Message);
