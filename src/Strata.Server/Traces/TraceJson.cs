using System.Globalization;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Server.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Traces;

/// <summary>
/// MLflow 3's trace messages in protobuf JSON as its client writes and reads them (snake_case names,
/// <c>google.protobuf.Timestamp</c> as RFC 3339 text, <c>Duration</c> as <c>"1.5s"</c>, maps as objects,
/// <c>google.protobuf.Value</c> as plain JSON), and MLflow 2's TraceInfo for the v2 endpoints.
/// </summary>
public static class TraceJson
{
    // ---- writing ----

    /// <summary>A TraceInfoV3 object (the value of <c>trace_info</c> or an item of <c>traces</c>).</summary>
    public static void WriteTraceInfo(Utf8JsonWriter w, TraceInfo t)
    {
        w.WriteStartObject();
        w.WriteString("trace_id"u8, t.TraceId);
        if (t.ClientRequestId is not null)
        {
            w.WriteString("client_request_id"u8, t.ClientRequestId);
        }

        w.WriteStartObject("trace_location"u8);
        w.WriteString("type"u8, "MLFLOW_EXPERIMENT"u8);
        w.WriteStartObject("mlflow_experiment"u8);
        w.WriteString("experiment_id"u8, t.ExperimentId);
        w.WriteEndObject();
        w.WriteEndObject();
        if (t.RequestPreview is not null)
        {
            w.WriteString("request_preview"u8, t.RequestPreview);
        }

        if (t.ResponsePreview is not null)
        {
            w.WriteString("response_preview"u8, t.ResponsePreview);
        }

        w.WriteString("request_time"u8, Timestamp(t.RequestTimeMs));
        if (t.ExecutionDurationMs is { } duration)
        {
            w.WriteString("execution_duration"u8, Duration(duration));
        }

        w.WriteString("state"u8, t.State.ToString());
        WriteMap(w, "trace_metadata"u8, t.Metadata);
        if (t.Assessments.Count > 0)
        {
            w.WriteStartArray("assessments"u8);
            foreach (var a in t.Assessments)
            {
                WriteAssessment(w, a);
            }

            w.WriteEndArray();
        }

        WriteMap(w, "tags"u8, t.Tags);
        w.WriteEndObject();
    }

    /// <summary>A Trace: <c>{"trace_info": {...}, "spans": [...]}</c>; spans are OTLP span objects when given.</summary>
    public static void WriteTrace(Utf8JsonWriter w, TraceInfo t, IReadOnlyList<JsonElement>? spans = null)
    {
        w.WriteStartObject();
        w.WritePropertyName("trace_info"u8);
        WriteTraceInfo(w, t);
        if (spans is { Count: > 0 })
        {
            w.WriteStartArray("spans"u8);
            foreach (var span in spans)
            {
                span.WriteTo(w);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    /// <summary>MLflow 2's TraceInfo: request_id, status, and metadata and tags as key/value lists.</summary>
    public static void WriteTraceInfoV2(Utf8JsonWriter w, TraceInfo t)
    {
        w.WriteStartObject();
        w.WriteString("request_id"u8, t.TraceId);
        w.WriteString("experiment_id"u8, t.ExperimentId);
        w.WriteNumber("timestamp_ms"u8, t.RequestTimeMs);
        if (t.ExecutionDurationMs is { } duration)
        {
            w.WriteNumber("execution_time_ms"u8, duration);
        }

        w.WriteString("status"u8, t.State == TraceState.STATE_UNSPECIFIED ? "TRACE_STATUS_UNSPECIFIED" : t.State.ToString());
        TrackingJson.WriteKeyValues(w, "request_metadata"u8, t.Metadata);
        TrackingJson.WriteKeyValues(w, "tags"u8, t.Tags);
        w.WriteEndObject();
    }

    public static void WriteAssessment(Utf8JsonWriter w, Assessment a)
    {
        w.WriteStartObject();
        w.WriteString("assessment_id"u8, a.AssessmentId);
        w.WriteString("assessment_name"u8, a.Name);
        w.WriteString("trace_id"u8, a.TraceId);
        if (a.SpanId is not null)
        {
            w.WriteString("span_id"u8, a.SpanId);
        }

        if (a.Source is { } source)
        {
            w.WriteStartObject("source"u8);
            w.WriteString("source_type"u8, source.SourceType);
            if (source.SourceId is not null)
            {
                w.WriteString("source_id"u8, source.SourceId);
            }

            w.WriteEndObject();
        }

        w.WriteString("create_time"u8, Timestamp(a.CreateTimeMs));
        w.WriteString("last_update_time"u8, Timestamp(a.LastUpdateTimeMs));
        if (a.Kind == AssessmentKind.Feedback)
        {
            w.WriteStartObject("feedback"u8);
            WriteRawValue(w, a.ValueJson);
            if (a.Error is { } error)
            {
                w.WritePropertyName("error"u8);
                WriteError(w, error);
            }

            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject("expectation"u8);
            WriteRawValue(w, a.ValueJson);
            if (a.SerializedValue is { } serialized)
            {
                w.WriteStartObject("serialized_value"u8);
                if (serialized.Format is not null)
                {
                    w.WriteString("serialization_format"u8, serialized.Format);
                }

                if (serialized.Value is not null)
                {
                    w.WriteString("value"u8, serialized.Value);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        if (a.Rationale is not null)
        {
            w.WriteString("rationale"u8, a.Rationale);
        }

        WriteMap(w, "metadata"u8, a.Metadata);
        if (a.Overrides is not null)
        {
            w.WriteString("overrides"u8, a.Overrides);
        }

        w.WriteBoolean("valid"u8, a.Valid);
        w.WriteEndObject();
    }

    private static void WriteRawValue(Utf8JsonWriter w, string? valueJson)
    {
        if (valueJson is null)
        {
            return;
        }

        w.WritePropertyName("value"u8);
        w.WriteRawValue(valueJson, skipInputValidation: true);
    }

    private static void WriteError(Utf8JsonWriter w, AssessmentError e)
    {
        w.WriteStartObject();
        if (e.ErrorCode is not null)
        {
            w.WriteString("error_code"u8, e.ErrorCode);
        }

        if (e.ErrorMessage is not null)
        {
            w.WriteString("error_message"u8, e.ErrorMessage);
        }

        if (e.StackTrace is not null)
        {
            w.WriteString("stack_trace"u8, e.StackTrace);
        }

        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, ReadOnlySpan<byte> name, IReadOnlyList<KeyValue> pairs)
    {
        if (pairs.Count == 0)
        {
            return;
        }

        w.WriteStartObject(name);
        foreach (var pair in pairs)
        {
            w.WriteString(pair.Key, pair.Value);
        }

        w.WriteEndObject();
    }

    /// <summary>Protobuf's JSON form of a Timestamp: UTC, with 0 or 3 fractional digits for millisecond times.</summary>
    public static string Timestamp(long ms)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
        return time.ToString(ms % 1000 == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Protobuf's JSON form of a Duration: seconds with 0 or 3 fractional digits and an "s".</summary>
    public static string Duration(long ms)
    {
        var sign = ms < 0 ? "-" : "";
        var abs = Math.Abs(ms);
        var seconds = (abs / 1000).ToString(CultureInfo.InvariantCulture);
        return abs % 1000 == 0 ? $"{sign}{seconds}s" : $"{sign}{seconds}.{abs % 1000:000}s";
    }

    // ---- reading ----

    /// <summary>StartTraceV3's <c>trace.trace_info</c>.</summary>
    public static NewTrace ReadNewTrace(JsonElement info, string path)
    {
        RequireObject(info, path);
        var experimentId = info.TryGetProperty("trace_location", out var location) && location.ValueKind == JsonValueKind.Object
                           && location.TryGetProperty("mlflow_experiment", out var experiment) && experiment.ValueKind == JsonValueKind.Object
                           && experiment.TryGetProperty("experiment_id", out var id)
            ? WireValues.String(id, $"{path}.trace_location.mlflow_experiment.experiment_id")
            : null;
        var assessments = new List<NewAssessment>();
        if (info.TryGetProperty("assessments", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                assessments.Add(ReadNewAssessment(item, $"{path}.assessments[{i++}]"));
            }
        }

        return new NewTrace(
            OptionalString(info, "trace_id", path) ?? "",
            experimentId ?? "",
            OptionalString(info, "client_request_id", path),
            OptionalTimestamp(info, "request_time", path) ?? 0,
            OptionalDuration(info, "execution_duration", path),
            OptionalState(info, "state", path) ?? TraceState.STATE_UNSPECIFIED,
            OptionalString(info, "request_preview", path),
            OptionalString(info, "response_preview", path),
            ReadMap(info, "trace_metadata", path),
            ReadMap(info, "tags", path),
            assessments);
    }

    /// <summary>An Assessment as CreateAssessment (and StartTraceV3) send it.</summary>
    public static NewAssessment ReadNewAssessment(JsonElement a, string path)
    {
        RequireObject(a, path);
        var (kind, value, serialized, error) = ReadValue(a, path)
            ?? throw MlflowException.InvalidParameter($"'{path}' must hold either 'feedback' or 'expectation'.");
        return new NewAssessment(
            OptionalString(a, "assessment_id", path),
            OptionalString(a, "assessment_name", path) ?? "",
            EmptyAsNull(OptionalString(a, "span_id", path)),
            ReadSource(a, path),
            OptionalTimestamp(a, "create_time", path),
            OptionalTimestamp(a, "last_update_time", path),
            kind,
            value,
            serialized,
            error ?? ReadError(a, "error", path),
            OptionalString(a, "rationale", path),
            ReadMap(a, "metadata", path),
            EmptyAsNull(OptionalString(a, "overrides", path)),
            a.TryGetProperty("valid", out var valid) && valid.ValueKind != JsonValueKind.Null ? WireValues.Boolean(valid, $"{path}.valid") ?? true : true);
    }

    /// <summary>UpdateAssessment: the fields of <c>assessment</c> named by <c>update_mask.paths</c>.</summary>
    public static AssessmentUpdate ReadUpdate(JsonElement a, IReadOnlyList<string> paths, string path)
    {
        RequireObject(a, path);
        string? name = null, rationale = null, valueJson = null;
        AssessmentKind? kind = null;
        SerializedValue? serialized = null;
        AssessmentError? error = null;
        IReadOnlyList<KeyValue>? metadata = null;
        bool? valid = null;
        foreach (var field in paths)
        {
            switch (field)
            {
                case "assessment_name":
                    name = OptionalString(a, "assessment_name", path) ?? "";
                    break;
                case "rationale":
                    rationale = OptionalString(a, "rationale", path) ?? "";
                    break;
                case "metadata":
                    metadata = ReadMap(a, "metadata", path);
                    break;
                case "valid":
                    valid = a.TryGetProperty("valid", out var v) ? WireValues.Boolean(v, $"{path}.valid") ?? true : true;
                    break;
                case "feedback" or "expectation":
                    var read = ReadValue(a, path)
                               ?? throw MlflowException.InvalidParameter($"update_mask names '{field}' but '{path}.{field}' is missing.");
                    if ((read.Kind == AssessmentKind.Feedback) != (field == "feedback"))
                    {
                        throw MlflowException.InvalidParameter($"update_mask names '{field}' but '{path}' holds the other value kind.");
                    }

                    (kind, valueJson, serialized, error) = read;
                    break;
                default:
                    throw MlflowException.InvalidParameter(
                        $"Invalid update_mask path '{field}': expected assessment_name, feedback, expectation, rationale, metadata or valid.");
            }
        }

        return new AssessmentUpdate(name, kind, valueJson, serialized, error, rationale, metadata, valid);
    }

    private static (AssessmentKind Kind, string? Value, SerializedValue? Serialized, AssessmentError? Error)? ReadValue(JsonElement a, string path)
    {
        if (a.TryGetProperty("feedback", out var feedback) && feedback.ValueKind == JsonValueKind.Object)
        {
            return (AssessmentKind.Feedback, RawValue(feedback), null, ReadError(feedback, "error", $"{path}.feedback"));
        }

        if (a.TryGetProperty("expectation", out var expectation) && expectation.ValueKind == JsonValueKind.Object)
        {
            SerializedValue? serialized = null;
            if (expectation.TryGetProperty("serialized_value", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                serialized = new SerializedValue(
                    OptionalString(s, "serialization_format", $"{path}.expectation.serialized_value"),
                    OptionalString(s, "value", $"{path}.expectation.serialized_value"));
            }

            return (AssessmentKind.Expectation, RawValue(expectation), serialized, null);
        }

        return null;
    }

    /// <summary>The <c>value</c> member kept as the client wrote it; JSON null is a value too (a Value's null_value).</summary>
    private static string? RawValue(JsonElement holder) =>
        holder.TryGetProperty("value", out var value) ? value.GetRawText() : null;

    private static AssessmentSource? ReadSource(JsonElement a, string path)
    {
        if (!a.TryGetProperty("source", out var source) || source.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        RequireObject(source, $"{path}.source");
        var type = source.TryGetProperty("source_type", out var t) ? t.ValueKind switch
        {
            JsonValueKind.Number => t.GetInt32() switch
            {
                1 => "HUMAN",
                2 => "LLM_JUDGE",
                3 => "CODE",
                _ => "SOURCE_TYPE_UNSPECIFIED",
            },
            _ => WireValues.String(t, $"{path}.source.source_type"),
        } : null;
        return new AssessmentSource(type ?? "SOURCE_TYPE_UNSPECIFIED", OptionalString(source, "source_id", $"{path}.source"));
    }

    private static AssessmentError? ReadError(JsonElement holder, string name, string path)
    {
        if (!holder.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        RequireObject(e, $"{path}.{name}");
        return new AssessmentError(
            OptionalString(e, "error_code", $"{path}.{name}"),
            OptionalString(e, "error_message", $"{path}.{name}"),
            OptionalString(e, "stack_trace", $"{path}.{name}"));
    }

    /// <summary>A <c>map&lt;string, string&gt;</c>: a JSON object (protobuf JSON) or a list of key/value objects (MLflow 2).</summary>
    public static IReadOnlyList<KeyValue> ReadMap(JsonElement holder, string name, string path)
    {
        return holder.TryGetProperty(name, out var map) ? ReadMapValue(map, $"{path}.{name}") : [];
    }

    /// <summary>A map value: a JSON object, or MLflow 2's list of <c>{"key", "value"}</c> objects; null is empty.</summary>
    public static IReadOnlyList<KeyValue> ReadMapValue(JsonElement map, string field)
    {
        if (map.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        var pairs = new List<KeyValue>();
        if (map.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in map.EnumerateObject())
            {
                pairs.Add(new KeyValue(property.Name, WireValues.String(property.Value, $"{field}.{property.Name}") ?? ""));
            }

            return pairs;
        }

        if (map.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in map.EnumerateArray())
            {
                var itemPath = $"{field}[{i++}]";
                RequireObject(item, itemPath);
                var key = OptionalString(item, "key", itemPath) ?? throw MlflowException.MissingParameter($"{itemPath}.key");
                pairs.Add(new KeyValue(key, OptionalString(item, "value", itemPath) ?? ""));
            }

            return pairs;
        }

        throw MlflowException.InvalidParameter($"Invalid value for parameter '{field}' supplied: expected a JSON object.");
    }

    public static TraceState? OptionalState(JsonElement holder, string name, string path)
    {
        if (!holder.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return ParseState(value, $"{path}.{name}");
    }

    /// <summary>A trace state by name or number; MLflow 2's TraceStatus names (TRACE_STATUS_UNSPECIFIED) too.</summary>
    public static TraceState ParseState(JsonElement value, string field)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n is >= 0 and <= 3)
        {
            return (TraceState)n;
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return text switch
        {
            "OK" => TraceState.OK,
            "ERROR" => TraceState.ERROR,
            "IN_PROGRESS" => TraceState.IN_PROGRESS,
            "STATE_UNSPECIFIED" or "TRACE_STATUS_UNSPECIFIED" => TraceState.STATE_UNSPECIFIED,
            _ => throw MlflowException.InvalidParameter(
                $"Invalid value {value.GetRawText()} for parameter '{field}' supplied: expected OK, ERROR, IN_PROGRESS or STATE_UNSPECIFIED."),
        };
    }

    private static long? OptionalTimestamp(JsonElement holder, string name, string path)
    {
        if (!holder.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var field = $"{path}.{name}";
        if (value.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return time.ToUnixTimeMilliseconds();
        }

        throw MlflowException.InvalidParameter(
            $"Invalid value {value.GetRawText()} for parameter '{field}' supplied: expected an RFC 3339 timestamp such as \"2025-01-31T12:00:00.123Z\".");
    }

    private static long? OptionalDuration(JsonElement holder, string name, string path)
    {
        if (!holder.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (text is { Length: > 1 } && text[^1] == 's'
            && decimal.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds))
        {
            return (long)decimal.Round(seconds * 1000m, 0, MidpointRounding.ToZero);
        }

        throw MlflowException.InvalidParameter(
            $"Invalid value {value.GetRawText()} for parameter '{path}.{name}' supplied: expected a duration such as \"1.5s\".");
    }

    private static string? OptionalString(JsonElement holder, string name, string path) =>
        holder.TryGetProperty(name, out var value) ? WireValues.String(value, $"{path}.{name}") : null;

    private static string? EmptyAsNull(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static void RequireObject(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw MlflowException.InvalidParameter($"Invalid value for parameter '{path}' supplied: expected a JSON object.");
        }
    }
}
