using Strata.Core.Tracking;

namespace Strata.Client.Wire;

// The wire forms of the tracking entities. They exist because the server omits empty arrays and unset
// scalars (spec §2): every array here is nullable and mapped to an empty list, so the Core records the
// caller sees never hold nulls where the domain says "a list".

internal sealed record WireKeyValue(string? Key, string? Value)
{
    public KeyValue ToCore() => new(Key ?? "", Value ?? "");

    public static WireKeyValue From(KeyValue kv) => new(kv.Key, kv.Value);
}

internal sealed record WireExperiment(
    string? ExperimentId,
    string? Name,
    string? ArtifactLocation,
    LifecycleStage? LifecycleStage,
    long? CreationTime,
    long? LastUpdateTime,
    List<WireKeyValue>? Tags)
{
    public Experiment ToCore() => new(
        ExperimentId ?? "",
        Name ?? "",
        ArtifactLocation ?? "",
        LifecycleStage ?? Core.Tracking.LifecycleStage.Active,
        CreationTime ?? 0,
        LastUpdateTime ?? 0,
        Tags.ToCore());
}

internal sealed record WireMetric(
    string? Key,
    double Value,
    long? Timestamp,
    long? Step,
    string? RunId = null,
    string? ModelId = null,
    string? DatasetName = null,
    string? DatasetDigest = null)
{
    public Metric ToCore() => new(Key ?? "", Value, Timestamp ?? 0, Step ?? 0, RunId, ModelId, DatasetName, DatasetDigest);

    public static WireMetric From(Metric m) =>
        new(m.Key, m.Value, m.Timestamp, m.Step, null, m.ModelId, m.DatasetName, m.DatasetDigest);
}

internal sealed record WireRunInfo(
    string? RunId,
    string? RunUuid,
    string? RunName,
    string? ExperimentId,
    string? UserId,
    RunStatus? Status,
    long? StartTime,
    long? EndTime,
    string? ArtifactUri,
    LifecycleStage? LifecycleStage)
{
    public RunInfo ToCore() => new(
        RunId ?? RunUuid ?? "",
        RunName ?? "",
        ExperimentId ?? "",
        UserId ?? "",
        Status ?? RunStatus.RUNNING,
        StartTime ?? 0,
        EndTime is null or 0 ? null : EndTime,
        ArtifactUri ?? "",
        LifecycleStage ?? Core.Tracking.LifecycleStage.Active);
}

internal sealed record WireRunData(List<WireMetric>? Metrics, List<WireKeyValue>? Params, List<WireKeyValue>? Tags)
{
    public RunData ToCore() => new(Metrics.ToCore(), Params.ToCore(), Tags.ToCore());
}

internal sealed record WireDataset(
    string? Name, string? Digest, string? SourceType, string? Source, string? Schema = null, string? Profile = null)
{
    public Dataset ToCore() => new(Name ?? "", Digest ?? "", SourceType ?? "", Source ?? "", Schema, Profile);

    public static WireDataset From(Dataset d) => new(d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile);
}

internal sealed record WireDatasetInput(List<WireKeyValue>? Tags, WireDataset? Dataset)
{
    public DatasetInput ToCore() => new(Tags.ToCore(), Dataset?.ToCore() ?? new Dataset("", "", "", ""));

    public static WireDatasetInput From(DatasetInput d) => new(d.Tags.ToWire(), WireDataset.From(d.Dataset));
}

internal sealed record WireModelInput(string? ModelId);

internal sealed record WireModelOutput(string? ModelId, long? Step);

internal sealed record WireRunInputs(List<WireDatasetInput>? DatasetInputs, List<WireModelInput>? ModelInputs)
{
    public RunInputs ToCore() => new(
        DatasetInputs?.Select(d => d.ToCore()).ToList() ?? [],
        ModelInputs?.Select(m => new ModelInput(m.ModelId ?? "")).ToList() ?? []);
}

internal sealed record WireRunOutputs(List<WireModelOutput>? ModelOutputs)
{
    public RunOutputs ToCore() => new(ModelOutputs?.Select(m => new ModelOutput(m.ModelId ?? "", m.Step ?? 0)).ToList() ?? []);
}

internal sealed record WireRun(WireRunInfo? Info, WireRunData? Data, WireRunInputs? Inputs, WireRunOutputs? Outputs)
{
    public Run ToCore() => new(
        Info?.ToCore() ?? throw new FormatException("The server sent a run without 'info'."),
        Data?.ToCore() ?? RunData.Empty,
        Inputs?.ToCore() ?? RunInputs.Empty,
        Outputs?.ToCore() ?? RunOutputs.Empty);
}

internal sealed record WireLoggedModelRegistration(string? Name, string? Version);

internal sealed record WireLoggedModelInfo(
    string? ModelId,
    string? ExperimentId,
    string? Name,
    long? CreationTimestampMs,
    long? LastUpdatedTimestampMs,
    string? ArtifactUri,
    LoggedModelStatus? Status,
    string? CreatorId,
    string? ModelType,
    string? SourceRunId,
    string? StatusMessage,
    List<WireKeyValue>? Tags,
    List<WireLoggedModelRegistration>? Registrations)
{
    public LoggedModelInfo ToCore() => new(
        ModelId ?? "",
        ExperimentId ?? "",
        Name ?? "",
        CreationTimestampMs ?? 0,
        LastUpdatedTimestampMs ?? 0,
        ArtifactUri ?? "",
        Status ?? LoggedModelStatus.LOGGED_MODEL_STATUS_UNSPECIFIED,
        CreatorId,
        ModelType,
        SourceRunId,
        StatusMessage,
        Tags.ToCore(),
        Registrations?.Select(r => new LoggedModelRegistration(r.Name ?? "", r.Version ?? "")).ToList() ?? []);
}

internal sealed record WireLoggedModelData(List<WireKeyValue>? Params, List<WireMetric>? Metrics);

internal sealed record WireLoggedModel(WireLoggedModelInfo? Info, WireLoggedModelData? Data)
{
    public LoggedModel ToCore() => new(
        Info?.ToCore() ?? throw new FormatException("The server sent a logged model without 'info'."),
        Data?.Params.ToCore() ?? [],
        Data?.Metrics.ToCore() ?? []);
}

internal sealed record WireFileInfo(string? Path, bool? IsDir, long? FileSize)
{
    public Artifacts.ArtifactFileInfo ToCore() => new(Path ?? "", IsDir ?? false, FileSize);
}

internal static class WireMapping
{
    public static IReadOnlyList<KeyValue> ToCore(this List<WireKeyValue>? list) =>
        list is null ? [] : list.Select(kv => kv.ToCore()).ToList();

    public static IReadOnlyList<Metric> ToCore(this List<WireMetric>? list) =>
        list is null ? [] : list.Select(m => m.ToCore()).ToList();

    public static List<WireKeyValue>? ToWire(this IEnumerable<KeyValue>? list) =>
        list?.Select(WireKeyValue.From).ToList();
}
