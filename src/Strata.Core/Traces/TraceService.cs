using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Core.Traces;

/// <summary>
/// MLflow 3's tracing service: validates requests, fills ids and times, and calls the trace store.
/// Span data stays at the trace's artifact location; <see cref="ITraceArtifacts"/> reads it back and removes it.
/// </summary>
public sealed class TraceService(
    ITraceStore store, ITrackingStore tracking, TimeProvider time, ITraceArtifacts? artifacts = null)
{
    public ITraceStore Store => store;

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    public static MlflowException TraceNotFound(string traceId) => MlflowException.NotFound($"Trace with ID '{traceId}' not found.");

    public Task<TraceInfo> StartTraceAsync(NewTrace trace, CancellationToken ct)
    {
        TrackingValidation.Required(trace.TraceId, "trace.trace_info.trace_id");
        TrackingValidation.Required(trace.ExperimentId, "trace.trace_info.trace_location.mlflow_experiment.experiment_id");
        ValidateKeys(trace.Tags, "trace.trace_info.tags");
        ValidateKeys(trace.Metadata, "trace.trace_info.trace_metadata");
        for (var i = 0; i < trace.Assessments.Count; i++)
        {
            ValidateAssessment(trace.Assessments[i], $"trace.trace_info.assessments[{i}]");
        }

        return store.StartTraceAsync(trace, Now, ct);
    }

    /// <summary>MLflow 2's StartTrace: a new id, state IN_PROGRESS until EndTrace.</summary>
    public Task<TraceInfo> StartTraceV2Async(string? experimentId, long? timestampMs, IReadOnlyList<KeyValue> metadata, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        TrackingValidation.Required(experimentId, "experiment_id");
        ValidateKeys(tags, "tags");
        ValidateKeys(metadata, "request_metadata");
        var trace = new NewTrace(
            Guid.NewGuid().ToString("N"), experimentId!, null, timestampMs ?? Now, null, TraceState.IN_PROGRESS, null, null, metadata, tags, []);
        return store.StartTraceAsync(trace, Now, ct);
    }

    public Task<TraceInfo> EndTraceV2Async(string traceId, long? timestampMs, TraceState? state, IReadOnlyList<KeyValue> metadata, IReadOnlyList<KeyValue> tags, CancellationToken ct)
    {
        ValidateKeys(tags, "tags");
        ValidateKeys(metadata, "request_metadata");
        return store.EndTraceAsync(traceId, timestampMs ?? Now, state ?? TraceState.OK, metadata, tags, ct);
    }

    public async Task<TraceInfo> GetTraceInfoAsync(string traceId, CancellationToken ct) =>
        await store.GetTraceInfoAsync(traceId, ct).ConfigureAwait(false) ?? throw TraceNotFound(traceId);

    public Task<Page<TraceInfo>> SearchTracesAsync(
        IReadOnlyList<string> experimentIds, string? filter, IReadOnlyList<string> orderBy, long? maxResults, string? pageToken, CancellationToken ct)
    {
        if (experimentIds.Count == 0)
        {
            throw MlflowException.MissingParameter("locations");
        }

        var max = maxResults ?? TraceKeys.DefaultSearchResults;
        if (max < 1 || max > TraceKeys.MaxSearchResults)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value {max} for parameter 'max_results' supplied. It must be a positive integer at most {TraceKeys.MaxSearchResults}.");
        }

        var query = new TraceQuery(experimentIds, TraceSearch.ParseFilter(filter), TraceSearch.ParseOrderBy(orderBy), (int)max, pageToken);
        return store.SearchTracesAsync(query, ct);
    }

    /// <summary>
    /// MLflow 3.5's calculate-filter-correlation: how strongly "matches filter 1" and "matches filter 2" go together
    /// among the experiments' traces (those matching <paramref name="baseFilter"/> when given), as NPMI with the counts.
    /// </summary>
    public async Task<TraceCorrelationResult> CalculateFilterCorrelationAsync(
        IReadOnlyList<string> experimentIds, string? filter1, string? filter2, string? baseFilter, CancellationToken ct)
    {
        var first = TraceSearch.ParseFilter(TrackingValidation.Required(filter1, "filter_string1"));
        var second = TraceSearch.ParseFilter(TrackingValidation.Required(filter2, "filter_string2"));
        var population = TraceSearch.ParseFilter(baseFilter);
        var counts = await store.CountFilterCorrelationAsync(experimentIds, first, second, population, ct).ConfigureAwait(false);
        return TraceCorrelationResult.From(counts);
    }

    public Task SetTraceTagAsync(string traceId, string? key, string? value, CancellationToken ct)
    {
        TrackingValidation.Required(key, "key");
        ValidateKey(key!, "key");
        return store.SetTraceTagAsync(traceId, new KeyValue(key!, value ?? ""), ct);
    }

    public Task DeleteTraceTagAsync(string traceId, string? key, CancellationToken ct) =>
        store.DeleteTraceTagAsync(traceId, TrackingValidation.Required(key, "key"), ct);

    /// <summary>
    /// Deletes by ids, or by age (with an optional count cap), never both; then removes the deleted traces'
    /// span data. The rows go first, so a failure to delete files never leaves a trace without its spans.
    /// </summary>
    public async Task<int> DeleteTracesAsync(string? experimentId, long? maxTimestampMillis, int? maxTraces, IReadOnlyList<string> traceIds, CancellationToken ct)
    {
        TrackingValidation.Required(experimentId, "experiment_id");
        if ((maxTimestampMillis is null) == (traceIds.Count == 0))
        {
            throw MlflowException.InvalidParameter("Exactly one of 'max_timestamp_millis' and 'request_ids' must be specified.");
        }

        if (traceIds.Count > 0 && maxTraces is not null)
        {
            throw MlflowException.InvalidParameter("'max_traces' can only be specified together with 'max_timestamp_millis'.");
        }

        if (maxTraces is <= 0)
        {
            throw MlflowException.InvalidParameter($"Invalid value {maxTraces} for parameter 'max_traces' supplied. It must be a positive integer.");
        }

        var deleted = await store.DeleteTracesAsync(experimentId!, maxTimestampMillis, maxTraces, traceIds, ct).ConfigureAwait(false);
        _ = await DeleteSpanDataAsync(deleted, ct).ConfigureAwait(false);
        return deleted.Count;
    }

    /// <summary>
    /// Removes the span data of traces whose rows are gone. A failure is returned, not thrown: the rows are already
    /// deleted, and the files of the other traces should still go.
    /// </summary>
    public async Task<IReadOnlyList<(TraceRef Trace, Exception Error)>> DeleteSpanDataAsync(IReadOnlyList<TraceRef> traces, CancellationToken ct)
    {
        var failures = new List<(TraceRef, Exception)>();
        if (artifacts is null)
        {
            return failures;
        }

        foreach (var trace in traces)
        {
            if (string.IsNullOrEmpty(trace.ArtifactLocation))
            {
                continue;
            }

            try
            {
                await artifacts.DeleteAsync(trace.ArtifactLocation, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MlflowException or IOException or UnauthorizedAccessException)
            {
                failures.Add((trace, ex));
            }
        }

        return failures;
    }

    public async Task LinkTracesToRunAsync(IReadOnlyList<string> traceIds, string? runId, CancellationToken ct)
    {
        TrackingValidation.Required(runId, "run_id");
        if (traceIds.Count > TraceKeys.MaxTracesPerLink)
        {
            throw MlflowException.InvalidParameter(
                $"Cannot link more than {TraceKeys.MaxTracesPerLink} traces to a run in a single request. Provided {traceIds.Count} traces.");
        }

        if (traceIds.Count == 0)
        {
            return;
        }

        _ = await tracking.GetRunAsync(runId!, ct).ConfigureAwait(false) ?? throw MlflowException.NotFound($"Run with id={runId} not found");
        await store.LinkTracesToRunAsync(traceIds, runId!, ct).ConfigureAwait(false);
    }

    public Task<Assessment> CreateAssessmentAsync(string traceId, NewAssessment assessment, CancellationToken ct)
    {
        ValidateAssessment(assessment, "assessment");
        return store.CreateAssessmentAsync(traceId, assessment, Now, ct);
    }

    public Task<Assessment> GetAssessmentAsync(string traceId, string assessmentId, CancellationToken ct) =>
        store.GetAssessmentAsync(traceId, assessmentId, ct);

    public Task<Assessment> UpdateAssessmentAsync(string traceId, string assessmentId, AssessmentUpdate update, CancellationToken ct)
    {
        if (update.Name is { Length: 0 })
        {
            throw MlflowException.InvalidParameter("'assessment.assessment_name' must not be empty.");
        }

        if (update.Metadata is not null)
        {
            ValidateKeys(update.Metadata, "assessment.metadata");
        }

        return store.UpdateAssessmentAsync(traceId, assessmentId, update, Now, ct);
    }

    public Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken ct) =>
        store.DeleteAssessmentAsync(traceId, assessmentId, ct);

    /// <summary>Stores OTLP spans, grouped per trace, in the experiment named by the exporter's header.</summary>
    public async Task<int> LogSpansAsync(string? experimentId, IReadOnlyList<TraceSpan> spans, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(experimentId))
        {
            throw MlflowException.InvalidParameter("The 'x-mlflow-experiment-id' header is required to log spans.");
        }

        var experiment = await tracking.GetExperimentAsync(experimentId, ct).ConfigureAwait(false)
                         ?? throw MlflowException.NotFound($"No Experiment with id={experimentId} exists");
        if (experiment.LifecycleStage != LifecycleStage.Active)
        {
            throw MlflowException.InvalidParameter($"The experiment {experimentId} must be in the 'active' state to log spans.");
        }

        foreach (var group in spans.GroupBy(s => s.TraceId, StringComparer.Ordinal))
        {
            await store.LogSpansAsync(experimentId, group.Key, group.ToList(), Now, ct).ConfigureAwait(false);
        }

        return spans.Count;
    }

    /// <summary>
    /// The trace's span data as <c>traces.json</c> holds it (<c>{"spans": [...]}</c>): the file the client uploaded,
    /// or, for traces whose spans came over OTLP only, a document built from the span rows. Null when there is neither.
    /// </summary>
    public async Task<byte[]?> ReadSpanDataAsync(TraceInfo trace, CancellationToken ct)
    {
        if (artifacts is not null && trace.Tag(TraceKeys.ArtifactLocation) is { Length: > 0 } location)
        {
            var file = await artifacts.ReadSpansFileAsync(location, ct).ConfigureAwait(false);
            if (file is not null)
            {
                return file;
            }
        }

        var spans = await store.GetSpansAsync(trace.TraceId, ct).ConfigureAwait(false);
        if (spans.Count == 0)
        {
            return null;
        }

        var builder = new System.Text.StringBuilder("{\"spans\": [");
        for (var i = 0; i < spans.Count; i++)
        {
            builder.Append(i == 0 ? "" : ", ").Append(spans[i].ContentJson);
        }

        return System.Text.Encoding.UTF8.GetBytes(builder.Append("]}").ToString());
    }

    private static void ValidateAssessment(NewAssessment assessment, string path)
    {
        if (string.IsNullOrEmpty(assessment.Name))
        {
            throw MlflowException.MissingParameter($"{path}.assessment_name");
        }

        if (assessment.Source is { } source && source.SourceType is not ("HUMAN" or "LLM_JUDGE" or "CODE" or "SOURCE_TYPE_UNSPECIFIED"))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid value '{source.SourceType}' for '{path}.source.source_type': expected HUMAN, LLM_JUDGE or CODE.");
        }

        ValidateKeys(assessment.Metadata, $"{path}.metadata");
    }

    private static void ValidateKeys(IReadOnlyList<KeyValue> pairs, string field)
    {
        foreach (var pair in pairs)
        {
            ValidateKey(pair.Key, field);
        }
    }

    private static void ValidateKey(string key, string field)
    {
        if (key.Length == 0 || key.Length > TrackingLimits.MaxEntityKeyLength)
        {
            throw MlflowException.InvalidParameter(
                $"Invalid key '{key}' in '{field}': keys must be 1 to {TrackingLimits.MaxEntityKeyLength} characters long.");
        }
    }
}
