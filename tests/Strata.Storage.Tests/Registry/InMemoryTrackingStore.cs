using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Registry;

/// <summary>
/// Just enough tracking for the registry's lookups (runs, experiments, logged models), held in memory so
/// registry tests do not depend on the tracking store's branch. Anything else is not part of these tests.
/// </summary>
internal sealed class InMemoryTrackingStore : ITrackingStore
{
    private readonly Dictionary<string, Run> _runs = [];
    private readonly Dictionary<string, Experiment> _experiments = [];
    private readonly Dictionary<string, LoggedModel> _models = [];

    public Run AddRun(string runId, string artifactUri, string experimentId = "0")
    {
        _experiments.TryAdd(experimentId, new Experiment(experimentId, "exp-" + experimentId, "mlflow-artifacts:/" + experimentId, LifecycleStage.Active, 1, 1, []));
        var run = new Run(
            new RunInfo(runId, "run-" + runId, experimentId, "alice", RunStatus.FINISHED, 10, 20, artifactUri, LifecycleStage.Active),
            new RunData([new Metric("rmse", 0.5, 11, 0)], [new KeyValue("alpha", "0.1")], []),
            new RunInputs([new DatasetInput([], new Dataset("train", "d1", "local", "/data/train.csv"))], []),
            RunOutputs.Empty);
        _runs[runId] = run;
        return run;
    }

    public LoggedModel AddLoggedModel(string modelId, string artifactUri, string? sourceRunId)
    {
        var model = new LoggedModel(
            new LoggedModelInfo(modelId, "0", "model", 1, 1, artifactUri, LoggedModelStatus.LOGGED_MODEL_READY, null, null, sourceRunId, null, [], []),
            [], []);
        _models[modelId] = model;
        return model;
    }

    public Task<Run?> GetRunAsync(string runId, CancellationToken ct) => Task.FromResult(_runs.GetValueOrDefault(runId));

    public Task<Experiment?> GetExperimentAsync(string experimentId, CancellationToken ct) => Task.FromResult(_experiments.GetValueOrDefault(experimentId));

    public Task<LoggedModel?> GetLoggedModelAsync(string modelId, CancellationToken ct) => Task.FromResult(_models.GetValueOrDefault(modelId));

    public Task EnsureDefaultExperimentAsync(string defaultArtifactRoot, long now, CancellationToken ct) => throw Unused();
    public Task<string> CreateExperimentAsync(NewExperiment experiment, CancellationToken ct) => throw Unused();
    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken ct) => throw Unused();
    public Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct) => throw Unused();
    public Task DeleteExperimentAsync(string experimentId, long now, CancellationToken ct) => throw Unused();
    public Task RestoreExperimentAsync(string experimentId, long now, CancellationToken ct) => throw Unused();
    public Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct) => throw Unused();
    public Task SetExperimentTagAsync(string experimentId, KeyValue tag, CancellationToken ct) => throw Unused();
    public Task DeleteExperimentTagAsync(string experimentId, string key, CancellationToken ct) => throw Unused();
    public Task<Run> CreateRunAsync(NewRun run, CancellationToken ct) => throw Unused();
    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct) => throw Unused();
    public Task DeleteRunAsync(string runId, long now, CancellationToken ct) => throw Unused();
    public Task RestoreRunAsync(string runId, long now, CancellationToken ct) => throw Unused();
    public Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<KeyValue> parameters, IReadOnlyList<KeyValue> tags, CancellationToken ct) => throw Unused();
    public Task DeleteTagAsync(string runId, string key, CancellationToken ct) => throw Unused();
    public Task AppendLoggedModelHistoryAsync(string runId, string modelJson, CancellationToken ct) => throw Unused();
    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> datasets, IReadOnlyList<ModelInput> models, CancellationToken ct) => throw Unused();
    public Task LogOutputsAsync(string runId, IReadOnlyList<ModelOutput> models, CancellationToken ct) => throw Unused();
    public Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct) => throw Unused();
    public Task<Page<Metric>> GetMetricHistoryAsync(string runId, string metricKey, int? maxResults, string? pageToken, CancellationToken ct) => throw Unused();
    public Task<IReadOnlyList<Metric>> GetMetricHistoryBulkIntervalAsync(IReadOnlyList<string> runIds, string metricKey, long? startStep, long? endStep, int maxResults, CancellationToken ct) => throw Unused();
    public Task<LoggedModel> CreateLoggedModelAsync(NewLoggedModel model, CancellationToken ct) => throw Unused();
    public Task<LoggedModel> FinalizeLoggedModelAsync(string modelId, LoggedModelStatus status, long now, CancellationToken ct) => throw Unused();
    public Task DeleteLoggedModelAsync(string modelId, long now, CancellationToken ct) => throw Unused();
    public Task SetLoggedModelTagsAsync(string modelId, IReadOnlyList<KeyValue> tags, CancellationToken ct) => throw Unused();
    public Task DeleteLoggedModelTagAsync(string modelId, string key, CancellationToken ct) => throw Unused();
    public Task LogLoggedModelParamsAsync(string modelId, IReadOnlyList<KeyValue> parameters, CancellationToken ct) => throw Unused();
    public Task<Page<LoggedModel>> SearchLoggedModelsAsync(LoggedModelQuery query, CancellationToken ct) => throw Unused();

    private static NotSupportedException Unused() => new("The registry tests only look runs, experiments and logged models up.");
}
