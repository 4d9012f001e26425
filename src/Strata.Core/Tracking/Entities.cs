namespace Strata.Core.Tracking;

/// <summary>A key/value pair: run tags, experiment tags, params, dataset input tags.</summary>
public sealed record KeyValue(string Key, string Value);

public sealed record Experiment(
    string ExperimentId,
    string Name,
    string ArtifactLocation,
    LifecycleStage LifecycleStage,
    long CreationTime,
    long LastUpdateTime,
    IReadOnlyList<KeyValue> Tags);

/// <summary>One metric point. <see cref="RunId"/> is set only where a response carries it (bulk history).</summary>
public sealed record Metric(
    string Key,
    double Value,
    long Timestamp,
    long Step,
    string? RunId = null,
    string? ModelId = null,
    string? DatasetName = null,
    string? DatasetDigest = null);

public sealed record RunInfo(
    string RunId,
    string RunName,
    string ExperimentId,
    string UserId,
    RunStatus Status,
    long StartTime,
    long? EndTime,
    string ArtifactUri,
    LifecycleStage LifecycleStage);

public sealed record RunData(IReadOnlyList<Metric> Metrics, IReadOnlyList<KeyValue> Params, IReadOnlyList<KeyValue> Tags)
{
    public static readonly RunData Empty = new([], [], []);
}

public sealed record Dataset(string Name, string Digest, string SourceType, string Source, string? Schema = null, string? Profile = null);

public sealed record DatasetInput(IReadOnlyList<KeyValue> Tags, Dataset Dataset);

public sealed record ModelInput(string ModelId);

public sealed record ModelOutput(string ModelId, long Step);

public sealed record RunInputs(IReadOnlyList<DatasetInput> DatasetInputs, IReadOnlyList<ModelInput> ModelInputs)
{
    public static readonly RunInputs Empty = new([], []);
}

public sealed record RunOutputs(IReadOnlyList<ModelOutput> ModelOutputs)
{
    public static readonly RunOutputs Empty = new([]);
}

public sealed record Run(RunInfo Info, RunData Data, RunInputs Inputs, RunOutputs Outputs);

public sealed record LoggedModelRegistration(string Name, string Version);

public sealed record LoggedModelInfo(
    string ModelId,
    string ExperimentId,
    string Name,
    long CreationTimestampMs,
    long LastUpdatedTimestampMs,
    string ArtifactUri,
    LoggedModelStatus Status,
    string? CreatorId,
    string? ModelType,
    string? SourceRunId,
    string? StatusMessage,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<LoggedModelRegistration> Registrations);

public sealed record LoggedModel(LoggedModelInfo Info, IReadOnlyList<KeyValue> Params, IReadOnlyList<Metric> Metrics);

/// <summary>One page of results; <see cref="NextPageToken"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextPageToken);
