namespace Strata.Core.Tracking;

/// <summary>
/// Persistence for experiments, runs, metrics and logged models. Implementations enforce the
/// rules that need a consistent read inside the write (unique names, params immutable, runs
/// must be active, duplicate metric points ignored) and throw <see cref="Errors.MlflowException"/>
/// with MLflow's codes. Input format validation happens before the store is called.
/// Getters return null for unknown ids; the caller turns that into RESOURCE_DOES_NOT_EXIST.
/// </summary>
public interface ITrackingStore
{
    /// <summary>Creates experiment "0" named "Default" at <c>&lt;root&gt;/0</c> if it does not exist.</summary>
    Task EnsureDefaultExperimentAsync(string defaultArtifactRoot, long now, CancellationToken ct);

    Task<string> CreateExperimentAsync(NewExperiment experiment, CancellationToken ct);
    Task<Experiment?> GetExperimentAsync(string experimentId, CancellationToken ct);
    /// <summary>An active experiment wins over a deleted one of the same name.</summary>
    Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken ct);
    Task<Page<Experiment>> SearchExperimentsAsync(ExperimentQuery query, CancellationToken ct);
    /// <summary>Soft-deletes the experiment and every run in it.</summary>
    Task DeleteExperimentAsync(string experimentId, long now, CancellationToken ct);
    /// <summary>Restores the experiment and every run in it.</summary>
    Task RestoreExperimentAsync(string experimentId, long now, CancellationToken ct);
    Task RenameExperimentAsync(string experimentId, string newName, long now, CancellationToken ct);
    Task SetExperimentTagAsync(string experimentId, KeyValue tag, CancellationToken ct);
    Task DeleteExperimentTagAsync(string experimentId, string key, CancellationToken ct);

    Task<Run> CreateRunAsync(NewRun run, CancellationToken ct);
    Task<Run?> GetRunAsync(string runId, CancellationToken ct);
    Task<RunInfo> UpdateRunAsync(string runId, RunStatus? status, long? endTime, string? runName, CancellationToken ct);
    Task DeleteRunAsync(string runId, long now, CancellationToken ct);
    Task RestoreRunAsync(string runId, long now, CancellationToken ct);

    /// <summary>
    /// Atomically writes params, metrics and tags (in that order). Serves log-metric,
    /// log-parameter, set-tag and log-batch. Setting <c>mlflow.runName</c> renames the run.
    /// </summary>
    Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<KeyValue> parameters, IReadOnlyList<KeyValue> tags, CancellationToken ct);
    Task DeleteTagAsync(string runId, string key, CancellationToken ct);
    /// <summary>Appends one MLmodel dict (as JSON) to the run tag <c>mlflow.log-model.history</c>.</summary>
    Task AppendLoggedModelHistoryAsync(string runId, string modelJson, CancellationToken ct);
    Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> datasets, IReadOnlyList<ModelInput> models, CancellationToken ct);
    Task LogOutputsAsync(string runId, IReadOnlyList<ModelOutput> models, CancellationToken ct);

    Task<Page<Run>> SearchRunsAsync(RunQuery query, CancellationToken ct);
    /// <summary>Points ordered by timestamp, step, value. <paramref name="maxResults"/> null means all.</summary>
    Task<Page<Metric>> GetMetricHistoryAsync(string runId, string metricKey, int? maxResults, string? pageToken, CancellationToken ct);
    /// <summary>Each returned point carries its <see cref="Metric.RunId"/>.</summary>
    Task<IReadOnlyList<Metric>> GetMetricHistoryBulkIntervalAsync(IReadOnlyList<string> runIds, string metricKey, long? startStep, long? endStep, int maxResults, CancellationToken ct);

    Task<LoggedModel> CreateLoggedModelAsync(NewLoggedModel model, CancellationToken ct);
    Task<LoggedModel?> GetLoggedModelAsync(string modelId, CancellationToken ct);
    Task<LoggedModel> FinalizeLoggedModelAsync(string modelId, LoggedModelStatus status, long now, CancellationToken ct);
    Task DeleteLoggedModelAsync(string modelId, long now, CancellationToken ct);
    Task SetLoggedModelTagsAsync(string modelId, IReadOnlyList<KeyValue> tags, CancellationToken ct);
    Task DeleteLoggedModelTagAsync(string modelId, string key, CancellationToken ct);
    Task LogLoggedModelParamsAsync(string modelId, IReadOnlyList<KeyValue> parameters, CancellationToken ct);
    Task<Page<LoggedModel>> SearchLoggedModelsAsync(LoggedModelQuery query, CancellationToken ct);
}
