using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Search;

namespace Strata.Core.Tracking;

/// <summary>
/// The tracking use cases behind the REST API: validates every input as MLflow does, fills in
/// defaults and generated ids, and calls the store. Unknown ids become RESOURCE_DOES_NOT_EXIST.
/// </summary>
public sealed class TrackingService(ITrackingStore store, TimeProvider time, TrackingSettings settings, RunNameGenerator names)
{
    public const string RunNameTag = "mlflow.runName";
    public const string UserTag = "mlflow.user";
    public const string DefaultExperimentId = "0";

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    // ---- experiments ----

    public async Task<string> CreateExperimentAsync(CreateExperimentRequest request, CancellationToken ct)
    {
        var name = TrackingValidation.ValidateExperimentName(request.Name);
        var location = TrackingValidation.ValidateArtifactLocation(request.ArtifactLocation);
        var tags = new List<KeyValue>(request.Tags.Count);
        for (var i = 0; i < request.Tags.Count; i++)
        {
            tags.Add(TrackingValidation.ValidateExperimentTag(request.Tags[i], new FieldPath("tags", i)));
        }

        return await store.CreateExperimentAsync(new NewExperiment(name, location, settings.DefaultArtifactRoot, tags, Now), ct).ConfigureAwait(false);
    }

    public async Task<Experiment> GetExperimentAsync(string? experimentId, CancellationToken ct)
    {
        var id = TrackingValidation.Required(experimentId, "experiment_id");
        return await store.GetExperimentAsync(id, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"No Experiment with id={id} exists");
    }

    public async Task<Experiment> GetExperimentByNameAsync(string? experimentName, CancellationToken ct)
    {
        var name = TrackingValidation.Required(experimentName, "experiment_name");
        return await store.GetExperimentByNameAsync(name, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Could not find experiment with name '{name}'");
    }

    public Task<Page<Experiment>> SearchExperimentsAsync(SearchExperimentsRequest request, CancellationToken ct, Auth.ReadScope? readable = null)
    {
        var maxResults = SearchMaxResults(request.MaxResults, TrackingLimits.DefaultSearchMaxResults);
        var filter = TrackingSearch.ParseFilter(request.Filter, SearchTarget.Experiments);
        var orderBy = TrackingSearch.ParseOrderBy(request.OrderBy, SearchTarget.Experiments);
        return store.SearchExperimentsAsync(
            new ExperimentQuery(filter, orderBy, request.ViewType ?? ViewType.ACTIVE_ONLY, maxResults, NullIfEmpty(request.PageToken), readable), ct);
    }

    public async Task DeleteExperimentAsync(string? experimentId, CancellationToken ct)
    {
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.ExperimentId == DefaultExperimentId)
        {
            throw MlflowException.InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved experiment.");
        }

        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw MlflowException.NotFound($"No active Experiment with id={experiment.ExperimentId} exists");
        }

        await store.DeleteExperimentAsync(experiment.ExperimentId, Now, ct).ConfigureAwait(false);
    }

    public async Task RestoreExperimentAsync(string? experimentId, CancellationToken ct)
    {
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        if (experiment.LifecycleStage != LifecycleStage.Deleted)
        {
            throw MlflowException.NotFound($"No deleted Experiment with id={experiment.ExperimentId} exists");
        }

        await store.RestoreExperimentAsync(experiment.ExperimentId, Now, ct).ConfigureAwait(false);
    }

    public async Task UpdateExperimentAsync(string? experimentId, string? newName, CancellationToken ct)
    {
        TrackingValidation.Required(experimentId, "experiment_id");
        var name = TrackingValidation.ValidateExperimentName(newName, "new_name");
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        EnsureActive(experiment, "rename");
        await store.RenameExperimentAsync(experiment.ExperimentId, name, Now, ct).ConfigureAwait(false);
    }

    public async Task SetExperimentTagAsync(string? experimentId, KeyValueRequest tag, CancellationToken ct)
    {
        TrackingValidation.Required(experimentId, "experiment_id");
        var validated = TrackingValidation.ValidateExperimentTag(tag, FieldPath.Root);
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        EnsureActive(experiment, "set a tag on");
        await store.SetExperimentTagAsync(experiment.ExperimentId, validated, ct).ConfigureAwait(false);
    }

    public async Task DeleteExperimentTagAsync(string? experimentId, string? key, CancellationToken ct)
    {
        TrackingValidation.Required(experimentId, "experiment_id");
        var validKey = TrackingValidation.ValidateKey(key, "tag", "key", TrackingLimits.MaxExperimentTagKeyLength);
        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        EnsureActive(experiment, "delete a tag of");
        if (!experiment.Tags.Any(t => t.Key == validKey))
        {
            throw MlflowException.NotFound($"No tag with name: {validKey} in experiment with id {experiment.ExperimentId}");
        }

        await store.DeleteExperimentTagAsync(experiment.ExperimentId, validKey, ct).ConfigureAwait(false);
    }

    // ---- runs ----

    public async Task<Run> CreateRunAsync(CreateRunRequest request, CancellationToken ct)
    {
        var experimentId = string.IsNullOrEmpty(request.ExperimentId) ? DefaultExperimentId : request.ExperimentId;
        var tags = new List<KeyValue>(request.Tags.Count + 1);
        for (var i = 0; i < request.Tags.Count; i++)
        {
            tags.Add(TrackingValidation.ValidateRunTag(request.Tags[i], new FieldPath("tags", i)));
        }

        var tagName = tags.LastOrDefault(t => t.Key == RunNameTag)?.Value;
        var requestedName = NullIfEmpty(request.RunName);
        if (requestedName is not null && !string.IsNullOrEmpty(tagName) && requestedName != tagName)
        {
            throw MlflowException.InvalidParameter(
                $"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{requestedName}', mlflow.runName='{tagName}').");
        }

        var runName = requestedName ?? NullIfEmpty(tagName) ?? names.Next();
        tags.RemoveAll(t => t.Key == RunNameTag);
        tags.Add(new KeyValue(RunNameTag, runName));

        var userId = NullIfEmpty(request.UserId) ?? tags.LastOrDefault(t => t.Key == UserTag)?.Value ?? string.Empty;
        var startTime = request.StartTime ?? Now;
        if (startTime < 0)
        {
            throw MlflowException.InvalidParameter($"Invalid value {startTime} for parameter 'start_time': it must be non-negative.");
        }

        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        EnsureActive(experiment, "create a run in");
        return await store.CreateRunAsync(new NewRun(TrackingIds.NewRunId(), experiment.ExperimentId, userId, runName, startTime, tags), ct).ConfigureAwait(false);
    }

    public async Task<Run> GetRunAsync(string? runId, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        return await store.GetRunAsync(id, ct).ConfigureAwait(false) ?? throw RunNotFound(id);
    }

    public Task<RunInfo> UpdateRunAsync(UpdateRunRequest request, CancellationToken ct)
    {
        var runId = TrackingValidation.Required(request.RunId, "run_id");
        if (request.EndTime is < 0)
        {
            throw MlflowException.InvalidParameter($"Invalid value {request.EndTime} for parameter 'end_time': it must be non-negative.");
        }

        var runName = NullIfEmpty(request.RunName);
        return store.UpdateRunAsync(runId, request.Status, request.EndTime, runName, ct);
    }

    public async Task DeleteRunAsync(string? runId, CancellationToken ct)
    {
        var run = await GetRunAsync(runId, ct).ConfigureAwait(false);
        await store.DeleteRunAsync(run.Info.RunId, Now, ct).ConfigureAwait(false);
    }

    public async Task RestoreRunAsync(string? runId, CancellationToken ct)
    {
        var run = await GetRunAsync(runId, ct).ConfigureAwait(false);
        await store.RestoreRunAsync(run.Info.RunId, Now, ct).ConfigureAwait(false);
    }

    public Task LogMetricAsync(string? runId, MetricRequest metric, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        var validated = TrackingValidation.ValidateMetric(metric, FieldPath.Root);
        return store.LogBatchAsync(id, [validated], [], [], ct);
    }

    public Task LogParamAsync(string? runId, KeyValueRequest param, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        var validated = TrackingValidation.ValidateParam(param, FieldPath.Root);
        return store.LogBatchAsync(id, [], [validated], [], ct);
    }

    public Task SetTagAsync(string? runId, KeyValueRequest tag, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        var validated = TrackingValidation.ValidateRunTag(tag, FieldPath.Root);
        return store.LogBatchAsync(id, [], [], [validated], ct);
    }

    public Task DeleteTagAsync(string? runId, string? key, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        var validKey = TrackingValidation.ValidateKey(key, "tag", "key");
        return store.DeleteTagAsync(id, validKey, ct);
    }

    public Task LogBatchAsync(LogBatchRequest request, CancellationToken ct)
    {
        var runId = TrackingValidation.ValidateRunId(request.RunId);
        TrackingValidation.ValidateBatchLimits(request.Metrics.Count, request.Params.Count, request.Tags.Count);

        var parameters = new KeyValue[request.Params.Count];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = TrackingValidation.ValidateParam(request.Params[i], new FieldPath("params", i));
        }

        if (parameters.Length > 1)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var duplicates = parameters.Where(p => !seen.Add(p.Key)).Select(p => p.Key).Distinct().ToList();
            if (duplicates.Count > 0)
            {
                throw MlflowException.InvalidParameter(
                    $"Duplicate parameter keys have been submitted: [{string.Join(", ", duplicates.Select(d => $"'{d}'"))}]. Please ensure the request contains only one param value per param key.");
            }
        }

        var metrics = new Metric[request.Metrics.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            metrics[i] = TrackingValidation.ValidateMetric(request.Metrics[i], new FieldPath("metrics", i));
        }

        var tags = new KeyValue[request.Tags.Count];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = TrackingValidation.ValidateRunTag(request.Tags[i], new FieldPath("tags", i));
        }

        return store.LogBatchAsync(runId, metrics, parameters, tags, ct);
    }

    /// <summary>Appends an MLmodel dict to the run's <c>mlflow.log-model.history</c> tag.</summary>
    public Task LogModelAsync(string? runId, string? modelJson, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        var json = TrackingValidation.Required(modelJson, "model_json");
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw MlflowException.InvalidParameter("Value of 'model_json' must be a JSON object holding the model metadata.");
            }

            foreach (var field in (ReadOnlySpan<string>)["artifact_path", "flavors", "utc_time_created", "run_id"])
            {
                if (!document.RootElement.TryGetProperty(field, out _))
                {
                    throw MlflowException.InvalidParameter($"Model json is missing mandatory fields: '{field}'.");
                }
            }
        }
        catch (JsonException ex)
        {
            throw MlflowException.InvalidParameter($"Malformed model info. 'model_json' is not valid JSON: {ex.Message}");
        }

        return store.AppendLoggedModelHistoryAsync(id, json, ct);
    }

    public Task LogInputsAsync(string? runId, IReadOnlyList<DatasetInputRequest> datasets, IReadOnlyList<string?> modelIds, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        if (datasets.Count > TrackingLimits.MaxDatasetsPerRequest)
        {
            throw MlflowException.InvalidParameter(
                $"A request can contain at most {TrackingLimits.MaxDatasetsPerRequest} datasets. Got {datasets.Count}.");
        }

        var validated = new List<DatasetInput>(datasets.Count);
        for (var i = 0; i < datasets.Count; i++)
        {
            validated.Add(TrackingValidation.ValidateDatasetInput(datasets[i], $"datasets[{i}]"));
        }

        var models = new List<ModelInput>(modelIds.Count);
        for (var i = 0; i < modelIds.Count; i++)
        {
            models.Add(new ModelInput(TrackingValidation.Required(modelIds[i], $"models[{i}].model_id")));
        }

        return store.LogInputsAsync(id, validated, models, ct);
    }

    public Task LogOutputsAsync(string? runId, IReadOnlyList<ModelOutputRequest> outputs, CancellationToken ct)
    {
        var id = TrackingValidation.Required(runId, "run_id");
        if (outputs.Count == 0)
        {
            throw MlflowException.MissingParameter("models");
        }

        var models = new List<ModelOutput>(outputs.Count);
        for (var i = 0; i < outputs.Count; i++)
        {
            var modelId = TrackingValidation.Required(outputs[i].ModelId, $"models[{i}].model_id");
            var step = TrackingValidation.Required(outputs[i].Step, $"models[{i}].step");
            models.Add(new ModelOutput(modelId, step));
        }

        return store.LogOutputsAsync(id, models, ct);
    }

    public Task<Page<Run>> SearchRunsAsync(SearchRunsRequest request, CancellationToken ct)
    {
        var maxResults = SearchMaxResults(request.MaxResults, TrackingLimits.DefaultSearchMaxResults);
        var filter = TrackingSearch.ParseFilter(request.Filter, SearchTarget.Runs);
        var orderBy = TrackingSearch.ParseOrderBy(request.OrderBy, SearchTarget.Runs);
        if (request.ExperimentIds.Count == 0)
        {
            return Task.FromResult(new Page<Run>([], null));
        }

        return store.SearchRunsAsync(
            new RunQuery(request.ExperimentIds, filter, orderBy, request.ViewType ?? ViewType.ACTIVE_ONLY, maxResults, NullIfEmpty(request.PageToken)), ct);
    }

    // ---- metric history ----

    public Task<Page<Metric>> GetMetricHistoryAsync(MetricHistoryRequest request, CancellationToken ct)
    {
        var (runId, key, maxResults) = ValidateHistoryRequest(request);
        return store.GetMetricHistoryAsync(runId, key, maxResults, NullIfEmpty(request.PageToken), ct);
    }

    /// <summary>
    /// <see cref="GetMetricHistoryAsync(MetricHistoryRequest, CancellationToken)"/> handing each point to
    /// <paramref name="sink"/> as it is read, when the store can stream; returns the next page token.
    /// </summary>
    public async Task<string?> ReadMetricHistoryAsync(MetricHistoryRequest request, IMetricHistorySink sink, CancellationToken ct)
    {
        var (runId, key, maxResults) = ValidateHistoryRequest(request);
        if (store is ITrackingHistoryReader reader)
        {
            return await reader.ReadMetricHistoryAsync(runId, key, maxResults, NullIfEmpty(request.PageToken), sink, ct).ConfigureAwait(false);
        }

        var page = await store.GetMetricHistoryAsync(runId, key, maxResults, NullIfEmpty(request.PageToken), ct).ConfigureAwait(false);
        foreach (var m in page.Items)
        {
            await sink.WriteAsync(new MetricHistoryPoint(m.Value, m.Timestamp, m.Step, m.ModelId, m.DatasetName, m.DatasetDigest), ct).ConfigureAwait(false);
        }

        return page.NextPageToken;
    }

    private static (string RunId, string Key, int? MaxResults) ValidateHistoryRequest(MetricHistoryRequest request)
    {
        var runId = TrackingValidation.Required(request.RunId, "run_id");
        var key = TrackingValidation.Required(request.MetricKey, "metric_key");
        if (request.MaxResults is < 0)
        {
            throw MlflowException.InvalidParameter($"Invalid value {request.MaxResults} for parameter 'max_results': it must be non-negative.");
        }

        // Absent or 0 means everything; the client always sends 25000 and follows the token.
        int? maxResults = request.MaxResults is null or 0 ? null : (int)Math.Min(request.MaxResults.Value, int.MaxValue);
        return (runId, key, maxResults);
    }

    public Task<IReadOnlyList<Metric>> GetMetricHistoryBulkIntervalAsync(MetricHistoryBulkIntervalRequest request, CancellationToken ct)
    {
        var runIds = ValidateBulkRunIds(request.RunIds, "run_ids");
        var key = TrackingValidation.Required(request.MetricKey, "metric_key");
        if (request.StartStep.HasValue != request.EndStep.HasValue)
        {
            throw MlflowException.InvalidParameter("If either start_step or end_step is specified, both must be specified.");
        }

        if (request.StartStep > request.EndStep)
        {
            throw MlflowException.InvalidParameter(
                $"end_step must be greater than or equal to start_step. Got start_step={request.StartStep}, end_step={request.EndStep}.");
        }

        var maxResults = request.MaxResults ?? TrackingLimits.MaxBulkIntervalResults;
        if (maxResults is <= 0 or > TrackingLimits.MaxBulkIntervalResults)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value {maxResults} for parameter 'max_results': it must be between 1 and {TrackingLimits.MaxBulkIntervalResults}.");
        }

        return store.GetMetricHistoryBulkIntervalAsync(runIds, key, request.StartStep, request.EndStep, (int)maxResults, ct);
    }

    /// <summary>The UI's bulk history: every run's points, grouped by run, at most <paramref name="maxResults"/> in total.</summary>
    public async Task<IReadOnlyList<Metric>> GetMetricHistoryBulkAsync(IReadOnlyList<string> runIds, string? metricKey, long? maxResults, CancellationToken ct)
    {
        var ids = ValidateBulkRunIds(runIds, "run_id");
        var key = TrackingValidation.Required(metricKey, "metric_key");
        if (maxResults is <= 0)
        {
            throw MlflowException.InvalidParameter($"Invalid value {maxResults} for parameter 'max_results': it must be positive.");
        }

        var limit = (int)Math.Min(maxResults ?? TrackingLimits.MaxBulkHistoryResults, TrackingLimits.MaxBulkHistoryResults);
        var result = new List<Metric>();
        foreach (var runId in ids)
        {
            if (result.Count >= limit)
            {
                break;
            }

            var page = await store.GetMetricHistoryAsync(runId, key, limit - result.Count, null, ct).ConfigureAwait(false);
            foreach (var metric in page.Items)
            {
                result.Add(metric with { RunId = runId });
            }
        }

        return result;
    }

    // ---- logged models ----

    public async Task<LoggedModel> CreateLoggedModelAsync(CreateLoggedModelRequest request, CancellationToken ct)
    {
        var experimentId = TrackingValidation.Required(request.ExperimentId, "experiment_id");
        var name = TrackingValidation.ValidateLoggedModelName(NullIfEmpty(request.Name) ?? names.Next());
        var parameters = new List<KeyValue>(request.Params.Count);
        for (var i = 0; i < request.Params.Count; i++)
        {
            parameters.Add(TrackingValidation.ValidateParam(request.Params[i], new FieldPath("params", i)));
        }

        var tags = new List<KeyValue>(request.Tags.Count);
        for (var i = 0; i < request.Tags.Count; i++)
        {
            tags.Add(TrackingValidation.ValidateRunTag(request.Tags[i], new FieldPath("tags", i)));
        }

        var experiment = await GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
        EnsureActive(experiment, "create a logged model in");
        var model = new NewLoggedModel(
            TrackingIds.NewLoggedModelId(), experiment.ExperimentId, name, NullIfEmpty(request.ModelType), NullIfEmpty(request.SourceRunId),
            null, parameters, tags, Now);
        return await store.CreateLoggedModelAsync(model, ct).ConfigureAwait(false);
    }

    public async Task<LoggedModel> GetLoggedModelAsync(string? modelId, CancellationToken ct)
    {
        var id = TrackingValidation.Required(modelId, "model_id");
        return await store.GetLoggedModelAsync(id, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Logged model with ID '{id}' not found.");
    }

    public async Task<LoggedModel> FinalizeLoggedModelAsync(string? modelId, LoggedModelStatus? status, CancellationToken ct)
    {
        var id = TrackingValidation.Required(modelId, "model_id");
        var target = TrackingValidation.Required(status, "status");
        if (target is not (LoggedModelStatus.LOGGED_MODEL_READY or LoggedModelStatus.LOGGED_MODEL_UPLOAD_FAILED))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid model status '{target}': a logged model can only be finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED.");
        }

        await GetLoggedModelAsync(id, ct).ConfigureAwait(false);
        return await store.FinalizeLoggedModelAsync(id, target, Now, ct).ConfigureAwait(false);
    }

    public async Task DeleteLoggedModelAsync(string? modelId, CancellationToken ct)
    {
        var model = await GetLoggedModelAsync(modelId, ct).ConfigureAwait(false);
        await store.DeleteLoggedModelAsync(model.Info.ModelId, Now, ct).ConfigureAwait(false);
    }

    public async Task SetLoggedModelTagsAsync(string? modelId, IReadOnlyList<KeyValueRequest> tags, CancellationToken ct)
    {
        var validated = new List<KeyValue>(tags.Count);
        for (var i = 0; i < tags.Count; i++)
        {
            validated.Add(TrackingValidation.ValidateRunTag(tags[i], new FieldPath("tags", i)));
        }

        var model = await GetLoggedModelAsync(modelId, ct).ConfigureAwait(false);
        await store.SetLoggedModelTagsAsync(model.Info.ModelId, validated, ct).ConfigureAwait(false);
    }

    public async Task DeleteLoggedModelTagAsync(string? modelId, string? key, CancellationToken ct)
    {
        var validKey = TrackingValidation.Required(key, "tag_key");
        var model = await GetLoggedModelAsync(modelId, ct).ConfigureAwait(false);
        if (!model.Info.Tags.Any(t => t.Key == validKey))
        {
            throw MlflowException.NotFound($"No tag with key '{validKey}' found for logged model '{model.Info.ModelId}'.");
        }

        await store.DeleteLoggedModelTagAsync(model.Info.ModelId, validKey, ct).ConfigureAwait(false);
    }

    public async Task LogLoggedModelParamsAsync(string? modelId, IReadOnlyList<KeyValueRequest> parameters, CancellationToken ct)
    {
        var validated = new List<KeyValue>(parameters.Count);
        for (var i = 0; i < parameters.Count; i++)
        {
            validated.Add(TrackingValidation.ValidateParam(parameters[i], new FieldPath("params", i)));
        }

        var model = await GetLoggedModelAsync(modelId, ct).ConfigureAwait(false);
        await store.LogLoggedModelParamsAsync(model.Info.ModelId, validated, ct).ConfigureAwait(false);
    }

    public Task<Page<LoggedModel>> SearchLoggedModelsAsync(SearchLoggedModelsRequest request, CancellationToken ct)
    {
        if (request.ExperimentIds.Count == 0)
        {
            throw MlflowException.MissingParameter("experiment_ids");
        }

        var maxResults = SearchMaxResults(request.MaxResults, TrackingLimits.DefaultLoggedModelSearchMaxResults);
        var filter = TrackingSearch.ParseFilter(request.Filter, SearchTarget.LoggedModels);
        var order = new List<string>(request.OrderBy.Count);
        var orderDatasets = new List<DatasetRef?>(request.OrderBy.Count);
        for (var i = 0; i < request.OrderBy.Count; i++)
        {
            var field = TrackingValidation.Required(request.OrderBy[i].FieldName, $"order_by[{i}].field_name");
            order.Add($"{QuoteOrderField(field)} {(request.OrderBy[i].Ascending ?? true ? "ASC" : "DESC")}");
            var datasetName = NullIfEmpty(request.OrderBy[i].DatasetName);
            var datasetDigest = NullIfEmpty(request.OrderBy[i].DatasetDigest);
            if (datasetName is null && datasetDigest is not null)
            {
                throw MlflowException.InvalidParameter($"Invalid order_by[{i}]: 'dataset_digest' requires 'dataset_name'.");
            }

            orderDatasets.Add(datasetName is null ? null : new DatasetRef(datasetName, datasetDigest));
        }

        var orderBy = TrackingSearch.ParseOrderBy(order, SearchTarget.LoggedModels);
        for (var i = 0; i < orderBy.Count; i++)
        {
            if (orderDatasets[i] is not null && orderBy[i].Key.Kind != KeyKind.Metric)
            {
                throw MlflowException.InvalidParameter($"Invalid order_by[{i}]: 'dataset_name' is only allowed when ordering by a metric.");
            }
        }

        var datasets = new List<DatasetRef>();
        var requested = request.Datasets ?? [];
        for (var i = 0; i < requested.Count; i++)
        {
            var name = NullIfEmpty(requested[i].DatasetName)
                       ?? throw MlflowException.InvalidParameter($"Missing value for required parameter 'datasets[{i}].dataset_name'.");
            datasets.Add(new DatasetRef(name, NullIfEmpty(requested[i].DatasetDigest)));
        }

        return store.SearchLoggedModelsAsync(
            new LoggedModelQuery(request.ExperimentIds, filter, orderBy, maxResults, NullIfEmpty(request.PageToken), datasets, orderDatasets), ct);
    }

    // ---- helpers ----

    private static int SearchMaxResults(long? requested, int defaultValue)
    {
        var value = requested ?? defaultValue;
        if (value <= 0)
        {
            throw MlflowException.InvalidParameter($"Invalid value {value} for parameter 'max_results' supplied. It must be a positive integer.");
        }

        if (value > TrackingLimits.MaxSearchMaxResults)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value {value} for parameter 'max_results' supplied. It must be at most {TrackingLimits.MaxSearchMaxResults}.");
        }

        return (int)value;
    }

    private static IReadOnlyList<string> ValidateBulkRunIds(IReadOnlyList<string> runIds, string field)
    {
        var ids = runIds.Where(id => !string.IsNullOrEmpty(id)).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            throw MlflowException.InvalidParameter($"The request must specify at least one '{field}'.");
        }

        if (ids.Count > TrackingLimits.MaxBulkRunIds)
        {
            throw MlflowException.InvalidParameter(
                $"The request cannot contain more than {TrackingLimits.MaxBulkRunIds} '{field}' values. Got {ids.Count}.");
        }

        return ids;
    }

    // Order fields arrive as plain names; metric keys may hold spaces or dashes, which the grammar wants back-quoted.
    private static string QuoteOrderField(string field)
    {
        var dot = field.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || field.Contains('`'))
        {
            return field;
        }

        return $"{field[..dot]}.`{field[(dot + 1)..]}`";
    }

    private static void EnsureActive(Experiment experiment, string action)
    {
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw MlflowException.InvalidParameter(
                $"Cannot {action} experiment {experiment.ExperimentId}: the experiment must be in the 'active' state. Current state is {experiment.LifecycleStage.ToWire()}.");
        }
    }

    private static MlflowException RunNotFound(string runId) => MlflowException.NotFound($"Run with id={runId} not found");

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
