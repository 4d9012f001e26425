using System.Buffers;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Strata.Client.Tracing;

/// <summary>
/// A finished trace in MLflow 3's wire forms: the StartTraceV3 body (trace info) and the <c>traces.json</c> span data
/// (per span: base64 ids, nanosecond times, attribute values as JSON text), which MLflow's clients read back.
/// </summary>
internal sealed record MlflowTraceDocument(string TraceId, byte[] StartTraceBody, byte[] SpansJson)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static MlflowTraceDocument Build(StrataTracing.TraceBuffer trace, string experimentId, int maxPreview) =>
        Build(trace.Root, trace.Spans.ToList(), experimentId, maxPreview);

    public static MlflowTraceDocument Build(Activity root, IReadOnlyList<Activity> spans, string experimentId, int maxPreview)
    {
        var traceId = "tr-" + root.TraceId.ToHexString();
        var recorded = spans.Select(s => s.SpanId).ToHashSet();
        var ordered = spans.OrderBy(s => s.StartTimeUtc).ThenBy(s => s.SpanId.ToHexString(), StringComparer.Ordinal).ToList();

        var spanBuffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(spanBuffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartArray("spans"u8);
            foreach (var span in ordered)
            {
                WriteSpan(w, span, traceId, recorded.Contains(span.ParentSpanId) && !ReferenceEquals(span, root));
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        var infoBuffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(infoBuffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("trace"u8);
            w.WriteStartObject("trace_info"u8);
            w.WriteString("trace_id"u8, traceId);
            w.WriteStartObject("trace_location"u8);
            w.WriteString("type"u8, "MLFLOW_EXPERIMENT"u8);
            w.WriteStartObject("mlflow_experiment"u8);
            w.WriteString("experiment_id"u8, experimentId);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("request_time"u8, root.StartTimeUtc.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteString("execution_duration"u8, ((long)root.Duration.TotalMilliseconds / 1000.0).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) + "s");
            w.WriteString("state"u8, root.Status == ActivityStatusCode.Error ? "ERROR" : "OK");
            w.WriteStartObject("trace_metadata"u8);
            w.WriteString("mlflow.trace_schema.version"u8, "3");
            w.WriteString("mlflow.user"u8, Environment.UserName);
            w.WriteEndObject();
            w.WriteStartObject("tags"u8);
            w.WriteString("mlflow.traceName"u8, root.DisplayName);
            w.WriteEndObject();
            if (root.GetCustomProperty(StrataSpan.InputsKey) is string inputs)
            {
                w.WriteString("request_preview"u8, Truncate(inputs, maxPreview));
            }

            if (root.GetCustomProperty(StrataSpan.OutputsKey) is string outputs)
            {
                w.WriteString("response_preview"u8, Truncate(outputs, maxPreview));
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return new MlflowTraceDocument(traceId, infoBuffer.WrittenSpan.ToArray(), spanBuffer.WrittenSpan.ToArray());
    }

    private static void WriteSpan(Utf8JsonWriter w, Activity span, string traceId, bool hasParent)
    {
        Span<byte> bytes = stackalloc byte[16];
        w.WriteStartObject();
        span.TraceId.CopyTo(bytes);
        w.WriteString("trace_id"u8, Convert.ToBase64String(bytes));
        span.SpanId.CopyTo(bytes[..8]);
        w.WriteString("span_id"u8, Convert.ToBase64String(bytes[..8]));
        if (hasParent)
        {
            span.ParentSpanId.CopyTo(bytes[..8]);
            w.WriteString("parent_span_id"u8, Convert.ToBase64String(bytes[..8]));
        }
        else
        {
            w.WriteNull("parent_span_id"u8);
        }

        w.WriteString("name"u8, span.DisplayName);
        var start = UnixNanos(span.StartTimeUtc);
        w.WriteNumber("start_time_unix_nano"u8, start);
        w.WriteNumber("end_time_unix_nano"u8, start + (span.Duration.Ticks * 100));
        w.WriteStartArray("events"u8);
        foreach (var e in span.Events)
        {
            w.WriteStartObject();
            w.WriteString("name"u8, e.Name);
            w.WriteNumber("time_unix_nano"u8, UnixNanos(e.Timestamp.UtcDateTime));
            w.WriteStartObject("attributes"u8);
            foreach (var tag in e.Tags)
            {
                w.WritePropertyName(tag.Key);
                JsonSerializer.Serialize(w, tag.Value, StrataSpan.JsonOptions);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartObject("status"u8);
        w.WriteString("code"u8, span.Status switch
        {
            ActivityStatusCode.Ok => "STATUS_CODE_OK",
            ActivityStatusCode.Error => "STATUS_CODE_ERROR",
            _ => "STATUS_CODE_UNSET",
        });
        w.WriteString("message"u8, span.StatusDescription ?? "");
        w.WriteEndObject();

        // traces.json keeps every attribute value as JSON text.
        w.WriteStartObject("attributes"u8);
        w.WriteString("mlflow.traceRequestId"u8, JsonSerializer.Serialize(traceId, StrataSpan.JsonOptions));
        var hasType = false;
        foreach (var tag in span.TagObjects)
        {
            hasType |= tag.Key == StrataSpan.SpanTypeKey;
            w.WriteString(tag.Key, JsonSerializer.Serialize(tag.Value, StrataSpan.JsonOptions));
        }

        if (!hasType)
        {
            // Spans of other instrumentation (HTTP clients and the like) are MLflow's UNKNOWN type.
            w.WriteString(StrataSpan.SpanTypeKey, span.Kind == ActivityKind.Client ? "\"TOOL\"" : "\"UNKNOWN\"");
        }

        foreach (var key in new[] { StrataSpan.InputsKey, StrataSpan.OutputsKey })
        {
            if (span.GetCustomProperty(key) is string json)
            {
                w.WriteString(key, json);
            }
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static long UnixNanos(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
