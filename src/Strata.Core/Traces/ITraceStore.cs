using Strata.Core.Tracking;

namespace Strata.Core.Traces;

/// <summary>
/// Persistence of trace info, tags, request metadata, assessments, run links and OTLP spans, keyed by
/// trace id. Implementations check inside each write what needs a consistent read (experiment active,
/// trace present) and throw <see cref="Errors.MlflowException"/> with MLflow's codes.
/// </summary>
public interface ITraceStore
{
    /// <summary>
    /// Creates the trace, or completes one that span logging created first (its spans and tags are kept).
    /// Adds the tag <see cref="TraceKeys.ArtifactLocation"/> under the experiment's artifact location.
    /// </summary>
    Task<TraceInfo> StartTraceAsync(NewTrace trace, long now, CancellationToken ct);

    /// <summary>MLflow 2's EndTrace: sets the end state and merges metadata and tags.</summary>
    Task<TraceInfo> EndTraceAsync(string traceId, long endTimeMs, TraceState state, IReadOnlyList<KeyValue> metadata, IReadOnlyList<KeyValue> tags, CancellationToken ct);

    Task<TraceInfo?> GetTraceInfoAsync(string traceId, CancellationToken ct);

    /// <summary>The traces among <paramref name="traceIds"/> that exist, in the order asked.</summary>
    Task<IReadOnlyList<TraceInfo>> GetTraceInfosAsync(IReadOnlyList<string> traceIds, CancellationToken ct);

    Task<Page<TraceInfo>> SearchTracesAsync(TraceQuery query, CancellationToken ct);

    Task SetTraceTagAsync(string traceId, KeyValue tag, CancellationToken ct);

    Task DeleteTraceTagAsync(string traceId, string key, CancellationToken ct);

    /// <summary>
    /// Deletes traces of one experiment: the given ids, or those at or before <paramref name="maxTimestampMillis"/>,
    /// oldest first and at most <paramref name="maxTraces"/>. Returns what was deleted.
    /// </summary>
    Task<IReadOnlyList<TraceRef>> DeleteTracesAsync(string experimentId, long? maxTimestampMillis, int? maxTraces, IReadOnlyList<string> traceIds, CancellationToken ct);

    /// <summary>Traces of any experiment whose start is at or before <paramref name="maxTimestampMillis"/>, oldest first.</summary>
    Task<IReadOnlyList<TraceRef>> GetTracesBeforeAsync(long maxTimestampMillis, int limit, CancellationToken ct);

    /// <summary>Every trace of an experiment (for purging it).</summary>
    Task<IReadOnlyList<TraceRef>> GetTracesOfExperimentAsync(string experimentId, CancellationToken ct);

    /// <summary>Deletes the listed traces' rows whatever their experiment; returns how many existed.</summary>
    Task<int> PurgeTracesAsync(IReadOnlyList<string> traceIds, CancellationToken ct);

    /// <summary>Links existing traces to an existing run; links already present are kept.</summary>
    Task LinkTracesToRunAsync(IReadOnlyList<string> traceIds, string runId, CancellationToken ct);

    /// <summary>Creates the assessment; one that overrides another marks that one invalid in the same write.</summary>
    Task<Assessment> CreateAssessmentAsync(string traceId, NewAssessment assessment, long now, CancellationToken ct);

    Task<Assessment> GetAssessmentAsync(string traceId, string assessmentId, CancellationToken ct);

    Task<Assessment> UpdateAssessmentAsync(string traceId, string assessmentId, AssessmentUpdate update, long now, CancellationToken ct);

    /// <summary>Deletes the assessment (absent is not an error); the one it overrode becomes valid again.</summary>
    Task DeleteAssessmentAsync(string traceId, string assessmentId, CancellationToken ct);

    /// <summary>
    /// Stores spans of one trace sent by span-level logging (OTLP), creating the trace IN_PROGRESS when it is
    /// new and widening its time range; the root span's status settles its state.
    /// </summary>
    Task LogSpansAsync(string experimentId, string traceId, IReadOnlyList<TraceSpan> spans, long now, CancellationToken ct);

    /// <summary>The trace's logged spans ordered by start time (empty when none were logged).</summary>
    Task<IReadOnlyList<TraceSpan>> GetSpansAsync(string traceId, CancellationToken ct);

    /// <summary>
    /// Counts, among the traces of the experiments that match <paramref name="baseFilter"/> (all of them when it is
    /// empty), those matching <paramref name="filter1"/>, <paramref name="filter2"/> and both: one pass, one query.
    /// </summary>
    Task<TraceCorrelationCounts> CountFilterCorrelationAsync(
        IReadOnlyList<string> experimentIds, IReadOnlyList<Search.Comparison> filter1, IReadOnlyList<Search.Comparison> filter2,
        IReadOnlyList<Search.Comparison> baseFilter, CancellationToken ct);
}

/// <summary>Reads and removes the span data files at traces' artifact locations (the artifact store behind the proxy).</summary>
public interface ITraceArtifacts
{
    /// <summary>The bytes of <c>traces.json</c> under the location, or null when there is none.</summary>
    Task<byte[]?> ReadSpansFileAsync(string artifactLocation, CancellationToken ct);

    /// <summary>Deletes the trace's artifact directory.</summary>
    Task DeleteAsync(string artifactLocation, CancellationToken ct);
}
