using System.Text.Json;
using Strata.Core.Traces;
using Strata.Core.Tracking;

namespace Strata.Storage.Traces;

/// <summary>Row shapes of the trace tables as Dapper reads them, and their mapping to Core records.</summary>
internal static class TraceRows
{
    public const string InfoColumns =
        "t.trace_id AS TraceId, t.experiment_id AS ExperimentId, t.client_request_id AS ClientRequestId, t.timestamp_ms AS TimestampMs, " +
        "t.execution_time_ms AS ExecutionTimeMs, t.state AS State, t.request_preview AS RequestPreview, t.response_preview AS ResponsePreview";

    public const string AssessmentColumns =
        "a.assessment_id AS AssessmentId, a.trace_id AS TraceId, a.name AS Name, a.span_id AS SpanId, a.source_type AS SourceType, a.source_id AS SourceId, " +
        "a.create_time_ms AS CreateTimeMs, a.last_update_time_ms AS LastUpdateTimeMs, a.kind AS Kind, a.value AS Value, " +
        "a.serialized_format AS SerializedFormat, a.serialized_value AS SerializedValue, a.error_code AS ErrorCode, a.error_message AS ErrorMessage, " +
        "a.error_stack_trace AS ErrorStackTrace, a.rationale AS Rationale, a.metadata AS Metadata, a.overrides AS Overrides, a.valid AS Valid";

    public sealed class InfoRow
    {
        public string TraceId { get; set; } = "";
        public long ExperimentId { get; set; }
        public string? ClientRequestId { get; set; }
        public long TimestampMs { get; set; }
        public long? ExecutionTimeMs { get; set; }
        public string State { get; set; } = "";
        public string? RequestPreview { get; set; }
        public string? ResponsePreview { get; set; }
    }

    public sealed class PairRow
    {
        public string TraceId { get; set; } = "";
        public string Key { get; set; } = "";
        public string Value { get; set; } = "";
    }

    public sealed class AssessmentRow
    {
        public string AssessmentId { get; set; } = "";
        public string TraceId { get; set; } = "";
        public string Name { get; set; } = "";
        public string? SpanId { get; set; }
        public string? SourceType { get; set; }
        public string? SourceId { get; set; }
        public long CreateTimeMs { get; set; }
        public long LastUpdateTimeMs { get; set; }
        public string Kind { get; set; } = "";
        public string? Value { get; set; }
        public string? SerializedFormat { get; set; }
        public string? SerializedValue { get; set; }
        public string? ErrorCode { get; set; }
        public string? ErrorMessage { get; set; }
        public string? ErrorStackTrace { get; set; }
        public string? Rationale { get; set; }
        public string? Metadata { get; set; }
        public string? Overrides { get; set; }
        public long Valid { get; set; }
    }

    public sealed class SpanRow
    {
        public string TraceId { get; set; } = "";
        public string SpanId { get; set; } = "";
        public string? ParentSpanId { get; set; }
        public string Name { get; set; } = "";
        public string? SpanType { get; set; }
        public string Status { get; set; } = "";
        public long StartTimeUnixNano { get; set; }
        public long? EndTimeUnixNano { get; set; }
        public string Content { get; set; } = "";
    }

    public sealed class CountRow
    {
        public long Total { get; set; }
        public long Filter1 { get; set; }
        public long Filter2 { get; set; }
        public long Joint { get; set; }
    }

    public sealed class RefRow
    {
        public string TraceId { get; set; } = "";
        public long ExperimentId { get; set; }
        public string? ArtifactLocation { get; set; }
    }

    public static TraceState ParseState(string state) => Enum.TryParse<TraceState>(state, out var s) ? s : TraceState.STATE_UNSPECIFIED;

    public static string KindName(AssessmentKind kind) => kind == AssessmentKind.Feedback ? "feedback" : "expectation";

    public static Assessment ToAssessment(AssessmentRow r) => new(
        r.AssessmentId,
        r.TraceId,
        r.Name,
        r.SpanId,
        r.SourceType is null ? null : new AssessmentSource(r.SourceType, r.SourceId),
        r.CreateTimeMs,
        r.LastUpdateTimeMs,
        r.Kind == "feedback" ? AssessmentKind.Feedback : AssessmentKind.Expectation,
        r.Value,
        r.SerializedFormat is null && r.SerializedValue is null ? null : new SerializedValue(r.SerializedFormat, r.SerializedValue),
        r.ErrorCode is null && r.ErrorMessage is null && r.ErrorStackTrace is null ? null : new AssessmentError(r.ErrorCode, r.ErrorMessage, r.ErrorStackTrace),
        r.Rationale,
        ReadMap(r.Metadata),
        r.Overrides,
        r.Valid != 0);

    public static TraceSpan ToSpan(SpanRow r) => new(
        r.TraceId, r.SpanId, r.ParentSpanId, r.Name, r.SpanType, r.Status, r.StartTimeUnixNano, r.EndTimeUnixNano, r.Content);

    /// <summary>Metadata maps are stored as one JSON object, keys sorted.</summary>
    public static string? WriteMap(IReadOnlyList<KeyValue> pairs)
    {
        if (pairs.Count == 0)
        {
            return null;
        }

        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            map[pair.Key] = pair.Value;
        }

        return JsonSerializer.Serialize(map);
    }

    public static IReadOnlyList<KeyValue> ReadMap(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        var map = JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];
        return map.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new KeyValue(p.Key, p.Value)).ToList();
    }
}
