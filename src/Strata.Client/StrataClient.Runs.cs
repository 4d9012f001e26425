using Strata.Client.Http;
using Strata.Client.Wire;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    /// <summary>Creates a run. Not retried on failure (a repeat would create a second run).</summary>
    public async Task<Run> CreateRunAsync(
        string experimentId,
        string? runName = null,
        IEnumerable<KeyValue>? tags = null,
        long? startTime = null,
        CancellationToken ct = default)
    {
        var response = await PostAsync<RunResponse>(
            "runs/create",
            new
            {
                ExperimentId = experimentId,
                UserId = Options.UserId ?? Environment.UserName,
                RunName = runName,
                StartTime = startTime ?? NowMs(),
                Tags = tags.ToWire(),
            },
            idempotent: false,
            ct).ConfigureAwait(false);
        return (response.Run ?? throw MissingField("run")).ToCore();
    }

    public async Task<Run> GetRunAsync(string runId, CancellationToken ct = default)
    {
        var response = await GetAsync<RunResponse>("runs/get", new Query().Add("run_id", runId), ct).ConfigureAwait(false);
        return (response.Run ?? throw MissingField("run")).ToCore();
    }

    /// <summary>Sets the given fields (absent ones are left alone). Safe to repeat: it assigns values.</summary>
    public async Task<RunInfo> UpdateRunAsync(
        string runId, RunStatus? status = null, long? endTime = null, string? runName = null, CancellationToken ct = default)
    {
        var response = await PostAsync<UpdateRunResponse>(
            "runs/update",
            new { RunId = runId, RunUuid = runId, Status = status, EndTime = endTime, RunName = runName },
            idempotent: true,
            ct).ConfigureAwait(false);
        return (response.RunInfo ?? throw MissingField("run_info")).ToCore();
    }

    public Task DeleteRunAsync(string runId, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("runs/delete", new { RunId = runId }, idempotent: false, ct);

    public Task RestoreRunAsync(string runId, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("runs/restore", new { RunId = runId }, idempotent: false, ct);

    /// <summary>Logs one point synchronously. For training loops prefer <see cref="StrataRun.LogMetric"/>, which batches.</summary>
    public Task LogMetricAsync(
        string runId, string key, double value, long step = 0, long? timestamp = null,
        string? modelId = null, string? datasetName = null, string? datasetDigest = null, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "runs/log-metric",
            new
            {
                RunId = runId,
                RunUuid = runId,
                Key = key,
                Value = value,
                Timestamp = timestamp ?? NowMs(),
                Step = step,
                ModelId = modelId,
                DatasetName = datasetName,
                DatasetDigest = datasetDigest,
            },
            idempotent: true, // the server ignores an exact duplicate point
            ct);

    public Task LogParamAsync(string runId, string key, string value, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "runs/log-parameter",
            new { RunId = runId, RunUuid = runId, Key = key, Value = value },
            idempotent: true, // re-logging the same value is a no-op success
            ct);

    public Task SetTagAsync(string runId, string key, string value, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "runs/set-tag", new { RunId = runId, RunUuid = runId, Key = key, Value = value }, idempotent: true, ct);

    /// <summary>Not retried: a repeat after a lost response would answer 404 for the tag just deleted.</summary>
    public Task DeleteTagAsync(string runId, string key, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("runs/delete-tag", new { RunId = runId, Key = key }, idempotent: false, ct);

    /// <summary>
    /// One log-batch call (≤ 1000 metrics, ≤ 100 params, ≤ 100 tags, ≤ 1000 items). Retried: duplicate metric
    /// points are ignored, params with the same value are no-ops and tags upsert, so a repeat changes nothing.
    /// </summary>
    public Task LogBatchAsync(
        string runId,
        IReadOnlyCollection<Metric>? metrics = null,
        IReadOnlyCollection<KeyValue>? parameters = null,
        IReadOnlyCollection<KeyValue>? tags = null,
        CancellationToken ct = default)
    {
        var body = LogBatchWriter.Write(runId, metrics ?? [], parameters ?? [], tags ?? []);
        return SendJsonBytesAsync<EmptyResponse>(HttpMethod.Post, "runs/log-batch", null, body, idempotent: true, ct);
    }

    /// <summary>runs/log-model: appends an MLmodel dict (JSON) to the run's <c>mlflow.log-model.history</c> tag.</summary>
    public Task LogModelMetadataAsync(string runId, string mlmodelJson, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>("runs/log-model", new { RunId = runId, ModelJson = mlmodelJson }, idempotent: false, ct);

    /// <summary>Links datasets (and 3.x model inputs) to the run. Idempotent on the server.</summary>
    public Task LogInputsAsync(
        string runId, IEnumerable<DatasetInput> datasets, IEnumerable<ModelInput>? models = null, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "runs/log-inputs",
            new
            {
                RunId = runId,
                Datasets = datasets.Select(WireDatasetInput.From).ToList(),
                Models = models?.Select(m => new WireModelInput(m.ModelId)).ToList(),
            },
            idempotent: true,
            ct);

    /// <summary>Links logged models to the run as outputs (3.x).</summary>
    public Task LogOutputsAsync(string runId, IEnumerable<ModelOutput> models, CancellationToken ct = default) =>
        PostAsync<EmptyResponse>(
            "runs/outputs",
            new { RunId = runId, Models = models.Select(m => new WireModelOutput(m.ModelId, m.Step)).ToList() },
            idempotent: true,
            ct);

    public async Task<Page<Run>> SearchRunsPageAsync(RunSearch search, string? pageToken = null, CancellationToken ct = default)
    {
        var response = await PostAsync<SearchRunsResponse>(
            "runs/search",
            new
            {
                search.ExperimentIds,
                search.Filter,
                RunViewType = search.ViewType,
                search.MaxResults,
                search.OrderBy,
                PageToken = pageToken,
            },
            idempotent: true,
            ct).ConfigureAwait(false);
        return new Page<Run>(response.Runs?.Select(r => r.ToCore()).ToList() ?? [], NullIfEmpty(response.NextPageToken));
    }

    public IAsyncEnumerable<Run> SearchRunsAsync(RunSearch search, CancellationToken ct = default) =>
        Paginate<Run>((token, c) => SearchRunsPageAsync(search, token, c), ct);

    public async Task<Page<Metric>> GetMetricHistoryPageAsync(
        string runId, string key, int? maxResults = 25_000, string? pageToken = null, CancellationToken ct = default)
    {
        var response = await GetAsync<MetricsResponse>(
            "metrics/get-history",
            new Query().Add("run_id", runId).Add("metric_key", key).Add("max_results", maxResults).Add("page_token", pageToken),
            ct).ConfigureAwait(false);
        return new Page<Metric>(response.Metrics.ToCore(), NullIfEmpty(response.NextPageToken));
    }

    /// <summary>Every point of (run, key), ordered by timestamp, step, value, fetched page by page.</summary>
    public IAsyncEnumerable<Metric> GetMetricHistoryAsync(string runId, string key, int pageSize = 25_000, CancellationToken ct = default) =>
        Paginate<Metric>((token, c) => GetMetricHistoryPageAsync(runId, key, pageSize, token, c), ct);

    public async Task<IReadOnlyList<Metric>> GetMetricHistoryBulkIntervalAsync(
        IEnumerable<string> runIds, string key, long? startStep = null, long? endStep = null, int? maxResults = null,
        CancellationToken ct = default)
    {
        var response = await GetAsync<MetricsResponse>(
            "metrics/get-history-bulk-interval",
            new Query().AddMany("run_ids", runIds).Add("metric_key", key)
                .Add("start_step", startStep).Add("end_step", endStep).Add("max_results", maxResults),
            ct).ConfigureAwait(false);
        return response.Metrics.ToCore();
    }

    internal static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
