using Strata.Core.Tracking;

namespace Strata.Core.Traces;

/// <summary>MLflow 3's trace state (TraceInfoV3.State); the names go on the wire verbatim.</summary>
public enum TraceState
{
    STATE_UNSPECIFIED = 0,
    OK = 1,
    ERROR = 2,
    IN_PROGRESS = 3,
}

/// <summary>
/// A trace's metadata as MLflow 3 keeps it (TraceInfoV3). Span data is not here: it lives at the trace's
/// artifact location (tag <c>mlflow.artifactLocation</c>) or, for spans sent over OTLP, in the span rows.
/// Tags and metadata are sorted by key.
/// </summary>
public sealed record TraceInfo(
    string TraceId,
    string ExperimentId,
    string? ClientRequestId,
    long RequestTimeMs,
    long? ExecutionDurationMs,
    TraceState State,
    string? RequestPreview,
    string? ResponsePreview,
    IReadOnlyList<KeyValue> Metadata,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<Assessment> Assessments)
{
    public string? Tag(string key) => Tags.FirstOrDefault(t => t.Key == key)?.Value;
}

/// <summary>What a client sends to create (or complete) a trace: StartTraceV3's trace_info.</summary>
public sealed record NewTrace(
    string TraceId,
    string ExperimentId,
    string? ClientRequestId,
    long RequestTimeMs,
    long? ExecutionDurationMs,
    TraceState State,
    string? RequestPreview,
    string? ResponsePreview,
    IReadOnlyList<KeyValue> Metadata,
    IReadOnlyList<KeyValue> Tags,
    IReadOnlyList<NewAssessment> Assessments);

/// <summary>A trace and where its span data lives, for deleting it with its artifacts.</summary>
public sealed record TraceRef(string TraceId, string ExperimentId, string? ArtifactLocation);

public enum AssessmentKind
{
    Feedback,
    Expectation,
}

/// <summary>Who or what made an assessment; <see cref="SourceType"/> is HUMAN, LLM_JUDGE, CODE or SOURCE_TYPE_UNSPECIFIED.</summary>
public sealed record AssessmentSource(string SourceType, string? SourceId);

/// <summary>Why a feedback could not be computed.</summary>
public sealed record AssessmentError(string? ErrorCode, string? ErrorMessage, string? StackTrace);

/// <summary>An expectation value too large or complex for a JSON value, kept serialized.</summary>
public sealed record SerializedValue(string? Format, string? Value);

/// <summary>
/// A feedback or expectation on a trace (or one of its spans). <see cref="ValueJson"/> is the value as JSON text,
/// kept byte for byte (a <c>google.protobuf.Value</c> on the wire). <see cref="Valid"/> turns false when a later
/// assessment names this one in <see cref="Overrides"/>.
/// </summary>
public sealed record Assessment(
    string AssessmentId,
    string TraceId,
    string Name,
    string? SpanId,
    AssessmentSource? Source,
    long CreateTimeMs,
    long LastUpdateTimeMs,
    AssessmentKind Kind,
    string? ValueJson,
    SerializedValue? SerializedValue,
    AssessmentError? Error,
    string? Rationale,
    IReadOnlyList<KeyValue> Metadata,
    string? Overrides,
    bool Valid);

/// <summary>An assessment as a client creates it; ids and missing times are filled by the service.</summary>
public sealed record NewAssessment(
    string? AssessmentId,
    string Name,
    string? SpanId,
    AssessmentSource? Source,
    long? CreateTimeMs,
    long? LastUpdateTimeMs,
    AssessmentKind Kind,
    string? ValueJson,
    SerializedValue? SerializedValue,
    AssessmentError? Error,
    string? Rationale,
    IReadOnlyList<KeyValue> Metadata,
    string? Overrides,
    bool Valid);

/// <summary>
/// The fields an UpdateAssessment request masks in (<c>update_mask.paths</c>); null means unchanged.
/// Metadata is merged into the existing metadata.
/// </summary>
public sealed record AssessmentUpdate(
    string? Name,
    AssessmentKind? ValueKind,
    string? ValueJson,
    SerializedValue? SerializedValue,
    AssessmentError? Error,
    string? Rationale,
    IReadOnlyList<KeyValue>? Metadata,
    bool? Valid);

/// <summary>
/// One span as MLflow stores it for span-level logging: the searchable fields and the span in MLflow's
/// JSON form (<see cref="ContentJson"/>, what <c>traces.json</c> holds per span).
/// </summary>
public sealed record TraceSpan(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string? SpanType,
    string Status,
    long StartTimeUnixNano,
    long? EndTimeUnixNano,
    string ContentJson);

/// <summary>A search over traces: already parsed and rewritten (see <see cref="TraceSearch"/>).</summary>
public sealed record TraceQuery(
    IReadOnlyList<string> ExperimentIds,
    IReadOnlyList<Search.Comparison> Filter,
    IReadOnlyList<Search.OrderTerm> OrderBy,
    int MaxResults,
    string? PageToken);
