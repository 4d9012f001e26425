using System.Buffers;
using System.Text.Json;

namespace Strata.Server.Traces;

/// <summary>
/// Converts span data between MLflow's <c>traces.json</c> form (per span: base64 ids, nanosecond times, attribute
/// values as JSON text) and OpenTelemetry's Span message in protobuf JSON, which BatchGetTraces returns.
/// </summary>
public static class SpanJson
{
    /// <summary>The spans of a <c>traces.json</c> document as OTLP Span objects; an unreadable document gives none.</summary>
    public static IReadOnlyList<JsonElement> ToOtlpSpans(byte[] tracesJson)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(tracesJson);
        }
        catch (JsonException)
        {
            return [];
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("spans", out var spans) || spans.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var result = new List<JsonElement>(spans.GetArrayLength());
            foreach (var span in spans.EnumerateArray())
            {
                if (span.ValueKind == JsonValueKind.Object)
                {
                    result.Add(ToOtlpSpan(span));
                }
            }

            return result;
        }
    }

    private static JsonElement ToOtlpSpan(JsonElement span)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Wire.WireResults.WriterOptions))
        {
            w.WriteStartObject();
            CopyString(w, span, "trace_id");
            CopyString(w, span, "span_id");
            CopyString(w, span, "parent_span_id");
            CopyString(w, span, "name");
            CopyNanos(w, span, "start_time_unix_nano");
            CopyNanos(w, span, "end_time_unix_nano");
            if (span.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Object)
            {
                w.WriteStartArray("attributes"u8);
                foreach (var attribute in attributes.EnumerateObject())
                {
                    // traces.json keeps each attribute as its JSON text; OTLP carries that text as a string value.
                    w.WriteStartObject();
                    w.WriteString("key"u8, attribute.Name);
                    w.WriteStartObject("value"u8);
                    w.WriteString("string_value"u8, attribute.Value.ValueKind == JsonValueKind.String ? attribute.Value.GetString() : attribute.Value.GetRawText());
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            if (span.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array && events.GetArrayLength() > 0)
            {
                w.WriteStartArray("events"u8);
                foreach (var e in events.EnumerateArray())
                {
                    w.WriteStartObject();
                    CopyNanos(w, e, "time_unix_nano");
                    CopyString(w, e, "name");
                    if (e.TryGetProperty("attributes", out var eventAttributes) && eventAttributes.ValueKind == JsonValueKind.Object)
                    {
                        w.WriteStartArray("attributes"u8);
                        foreach (var attribute in eventAttributes.EnumerateObject())
                        {
                            w.WriteStartObject();
                            w.WriteString("key"u8, attribute.Name);
                            w.WritePropertyName("value"u8);
                            WriteAnyValue(w, attribute.Value);
                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            if (span.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object)
            {
                w.WriteStartObject("status"u8);
                CopyString(w, status, "message");
                CopyString(w, status, "code");
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone();
    }

    /// <summary>A JSON value as an OTLP AnyValue.</summary>
    internal static void WriteAnyValue(Utf8JsonWriter w, JsonElement value)
    {
        w.WriteStartObject();
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                w.WriteString("string_value"u8, value.GetString());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                w.WriteBoolean("bool_value"u8, value.GetBoolean());
                break;
            case JsonValueKind.Number when value.TryGetInt64(out var l):
                w.WriteString("int_value"u8, l.ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.Number:
                w.WriteNumber("double_value"u8, value.GetDouble());
                break;
            case JsonValueKind.Array:
                w.WriteStartObject("array_value"u8);
                w.WriteStartArray("values"u8);
                foreach (var item in value.EnumerateArray())
                {
                    WriteAnyValue(w, item);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case JsonValueKind.Object:
                w.WriteStartObject("kvlist_value"u8);
                w.WriteStartArray("values"u8);
                foreach (var property in value.EnumerateObject())
                {
                    w.WriteStartObject();
                    w.WriteString("key"u8, property.Name);
                    w.WritePropertyName("value"u8);
                    WriteAnyValue(w, property.Value);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
        }

        w.WriteEndObject();
    }

    private static void CopyString(Utf8JsonWriter w, JsonElement holder, string name)
    {
        if (holder.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text)
        {
            w.WriteString(name, text);
        }
    }

    /// <summary>fixed64 fields are decimal strings in protobuf JSON.</summary>
    private static void CopyNanos(Utf8JsonWriter w, JsonElement holder, string name)
    {
        if (holder.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.Number or JsonValueKind.String)
        {
            w.WriteString(name, value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText());
        }
    }
}
