using System.Buffers;
using System.Text;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Traces;

namespace Strata.Server.Traces;

/// <summary>An attribute value of an OTLP span, already rendered as JSON (strings, numbers, booleans, lists, maps; bytes as base64).</summary>
internal readonly record struct OtlpAttribute(string Key, string ValueJson);

internal sealed record OtlpEvent(string Name, ulong TimeUnixNano, IReadOnlyList<OtlpAttribute> Attributes);

/// <summary>One span decoded from an OTLP export (protobuf or JSON), before it becomes an MLflow span.</summary>
internal sealed record OtlpSpan(
    byte[] TraceId,
    byte[] SpanId,
    byte[] ParentSpanId,
    string Name,
    ulong StartTimeUnixNano,
    ulong EndTimeUnixNano,
    IReadOnlyList<OtlpAttribute> Attributes,
    IReadOnlyList<OtlpEvent> Events,
    int StatusCode,
    string StatusMessage)
{
    private const string RequestIdAttribute = "mlflow.traceRequestId";
    private const string SpanTypeAttribute = "mlflow.spanType";

    /// <summary>
    /// The span as MLflow stores it: the trace id <c>tr-&lt;hex&gt;</c>, and the JSON of one <c>traces.json</c> span
    /// (base64 ids, attribute values as JSON text, <c>mlflow.traceRequestId</c> added when absent).
    /// </summary>
    public TraceSpan ToTraceSpan()
    {
        if (TraceId.Length != 16)
        {
            throw MlflowException.InvalidParameter($"Invalid OTLP span '{Name}': trace_id must be 16 bytes, got {TraceId.Length}.");
        }

        if (SpanId.Length != 8)
        {
            throw MlflowException.InvalidParameter($"Invalid OTLP span '{Name}': span_id must be 8 bytes, got {SpanId.Length}.");
        }

        if (ParentSpanId.Length is not (0 or 8))
        {
            throw MlflowException.InvalidParameter($"Invalid OTLP span '{Name}': parent_span_id must be 8 bytes, got {ParentSpanId.Length}.");
        }

        var traceId = "tr-" + Convert.ToHexStringLower(TraceId);
        var status = StatusCode switch
        {
            1 => "OK",
            2 => "ERROR",
            _ => "UNSET",
        };
        string? spanType = null;
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Wire.WireResults.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("trace_id"u8, Convert.ToBase64String(TraceId));
            w.WriteString("span_id"u8, Convert.ToBase64String(SpanId));
            if (ParentSpanId.Length == 0)
            {
                w.WriteNull("parent_span_id"u8);
            }
            else
            {
                w.WriteString("parent_span_id"u8, Convert.ToBase64String(ParentSpanId));
            }

            w.WriteString("name"u8, Name);
            w.WriteNumber("start_time_unix_nano"u8, StartTimeUnixNano);
            if (EndTimeUnixNano == 0)
            {
                w.WriteNull("end_time_unix_nano"u8);
            }
            else
            {
                w.WriteNumber("end_time_unix_nano"u8, EndTimeUnixNano);
            }

            w.WriteStartArray("events"u8);
            foreach (var e in Events)
            {
                w.WriteStartObject();
                w.WriteString("name"u8, e.Name);
                w.WriteNumber("time_unix_nano"u8, e.TimeUnixNano);
                w.WriteStartObject("attributes"u8);
                foreach (var attribute in e.Attributes)
                {
                    w.WritePropertyName(attribute.Key);
                    w.WriteRawValue(attribute.ValueJson, skipInputValidation: true);
                }

                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartObject("status"u8);
            w.WriteString("code"u8, "STATUS_CODE_" + status);
            w.WriteString("message"u8, StatusMessage);
            w.WriteEndObject();

            // traces.json keeps every attribute value as its JSON text, which MLflow's client parses back.
            w.WriteStartObject("attributes"u8);
            if (!Attributes.Any(a => a.Key == RequestIdAttribute))
            {
                w.WriteString(RequestIdAttribute, JsonSerializer.Serialize(traceId));
            }

            foreach (var attribute in Attributes)
            {
                w.WriteString(attribute.Key, attribute.ValueJson);
                if (attribute.Key == SpanTypeAttribute)
                {
                    spanType = ReadString(attribute.ValueJson);
                }
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return new TraceSpan(
            traceId,
            Convert.ToHexStringLower(SpanId),
            ParentSpanId.Length == 0 ? null : Convert.ToHexStringLower(ParentSpanId),
            Name,
            spanType,
            status,
            checked((long)StartTimeUnixNano),
            EndTimeUnixNano == 0 ? null : checked((long)EndTimeUnixNano),
            Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>A span type is a string attribute, possibly itself JSON-encoded once more by MLflow's client.</summary>
    private static string? ReadString(string json)
    {
        try
        {
            var value = JsonSerializer.Deserialize<JsonElement>(json);
            if (value.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var text = value.GetString()!;
            return text.Length > 1 && text[0] == '"' ? JsonSerializer.Deserialize<string>(text) : text;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
