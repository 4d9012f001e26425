using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Strata.Core.Errors;

namespace Strata.Server.Traces;

/// <summary>
/// Decodes an OTLP <c>ExportTraceServiceRequest</c> (opentelemetry/proto/collector/trace/v1) from its binary
/// protobuf form with <see cref="CodedInputStream"/>, reading only the fields MLflow keeps: the spans' ids, name,
/// times, attributes, events and status. Unknown fields are skipped, as protobuf requires.
/// </summary>
internal static class OtlpTraceDecoder
{
    public static List<OtlpSpan> DecodeProtobuf(byte[] body)
    {
        var spans = new List<OtlpSpan>();
        try
        {
            // ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
            ForEach(new CodedInputStream(body), (tag, input) =>
            {
                if (tag == Tag(1, 2))
                {
                    // ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
                    ForEach(Nested(input), (t, resource) =>
                    {
                        if (t == Tag(2, 2))
                        {
                            // ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; }
                            ForEach(Nested(resource), (s, scope) =>
                            {
                                if (s == Tag(2, 2))
                                {
                                    spans.Add(ReadSpan(Nested(scope)));
                                    return true;
                                }

                                return false;
                            });
                            return true;
                        }

                        return false;
                    });
                    return true;
                }

                return false;
            });
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw MlflowException.InvalidParameter($"Invalid OpenTelemetry protobuf body: {ex.Message}");
        }

        return spans;
    }

    private static uint Tag(int field, int wireType) => (uint)((field << 3) | wireType);

    private static CodedInputStream Nested(CodedInputStream input) => new(input.ReadBytes().ToByteArray());

    /// <summary>Reads every field; <paramref name="read"/> consumes the ones it knows and returns false for the rest, which are skipped.</summary>
    private static void ForEach(CodedInputStream input, Func<uint, CodedInputStream, bool> read)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (!read(tag, input))
            {
                input.SkipLastField();
            }
        }
    }

    private static OtlpSpan ReadSpan(CodedInputStream input)
    {
        byte[] traceId = [], spanId = [], parentSpanId = [];
        var name = "";
        ulong start = 0, end = 0;
        var attributes = new List<OtlpAttribute>();
        var events = new List<OtlpEvent>();
        var statusCode = 0;
        var statusMessage = "";
        ForEach(input, (tag, s) =>
        {
            switch (tag)
            {
                case var t when t == Tag(1, 2):
                    traceId = s.ReadBytes().ToByteArray();
                    return true;
                case var t when t == Tag(2, 2):
                    spanId = s.ReadBytes().ToByteArray();
                    return true;
                case var t when t == Tag(4, 2):
                    parentSpanId = s.ReadBytes().ToByteArray();
                    return true;
                case var t when t == Tag(5, 2):
                    name = s.ReadString();
                    return true;
                case var t when t == Tag(7, 1):
                    start = s.ReadFixed64();
                    return true;
                case var t when t == Tag(8, 1):
                    end = s.ReadFixed64();
                    return true;
                case var t when t == Tag(9, 2):
                    attributes.Add(ReadKeyValue(Nested(s)));
                    return true;
                case var t when t == Tag(11, 2):
                    events.Add(ReadEvent(Nested(s)));
                    return true;
                case var t when t == Tag(15, 2):
                    // Status { string message = 2; StatusCode code = 3; }
                    ForEach(Nested(s), (st, status) =>
                    {
                        if (st == Tag(2, 2))
                        {
                            statusMessage = status.ReadString();
                            return true;
                        }

                        if (st == Tag(3, 0))
                        {
                            statusCode = status.ReadEnum();
                            return true;
                        }

                        return false;
                    });
                    return true;
                default:
                    return false;
            }
        });
        return new OtlpSpan(traceId, spanId, parentSpanId, name, start, end, attributes, events, statusCode, statusMessage);
    }

    private static OtlpEvent ReadEvent(CodedInputStream input)
    {
        ulong time = 0;
        var name = "";
        var attributes = new List<OtlpAttribute>();
        ForEach(input, (tag, e) =>
        {
            if (tag == Tag(1, 1))
            {
                time = e.ReadFixed64();
            }
            else if (tag == Tag(2, 2))
            {
                name = e.ReadString();
            }
            else if (tag == Tag(3, 2))
            {
                attributes.Add(ReadKeyValue(Nested(e)));
            }
            else
            {
                return false;
            }

            return true;
        });
        return new OtlpEvent(name, time, attributes);
    }

    /// <summary>KeyValue { string key = 1; AnyValue value = 2; } with the value rendered as JSON.</summary>
    private static OtlpAttribute ReadKeyValue(CodedInputStream input)
    {
        var key = "";
        var json = "null";
        ForEach(input, (tag, kv) =>
        {
            if (tag == Tag(1, 2))
            {
                key = kv.ReadString();
                return true;
            }

            if (tag == Tag(2, 2))
            {
                var buffer = new ArrayBufferWriter<byte>();
                using (var w = new Utf8JsonWriter(buffer, Wire.WireResults.WriterOptions))
                {
                    WriteAnyValue(Nested(kv), w);
                }

                json = Encoding.UTF8.GetString(buffer.WrittenSpan);
                return true;
            }

            return false;
        });
        return new OtlpAttribute(key, json);
    }

    /// <summary>AnyValue { oneof: string 1, bool 2, int64 3, double 4, ArrayValue 5, KeyValueList 6, bytes 7 } as JSON.</summary>
    private static void WriteAnyValue(CodedInputStream input, Utf8JsonWriter w)
    {
        var written = false;
        ForEach(input, (tag, v) =>
        {
            switch (tag >> 3)
            {
                case 1 when (tag & 7) == 2:
                    w.WriteStringValue(v.ReadString());
                    break;
                case 2 when (tag & 7) == 0:
                    w.WriteBooleanValue(v.ReadBool());
                    break;
                case 3 when (tag & 7) == 0:
                    w.WriteNumberValue(v.ReadInt64());
                    break;
                case 4 when (tag & 7) == 1:
                    var d = v.ReadDouble();
                    if (double.IsFinite(d))
                    {
                        w.WriteNumberValue(d);
                    }
                    else
                    {
                        w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                    }

                    break;
                case 5 when (tag & 7) == 2:
                    // ArrayValue { repeated AnyValue values = 1; }
                    w.WriteStartArray();
                    ForEach(Nested(v), (at, array) =>
                    {
                        if (at != Tag(1, 2))
                        {
                            return false;
                        }

                        WriteAnyValue(Nested(array), w);
                        return true;
                    });
                    w.WriteEndArray();
                    break;
                case 6 when (tag & 7) == 2:
                    // KeyValueList { repeated KeyValue values = 1; }
                    w.WriteStartObject();
                    ForEach(Nested(v), (kt, list) =>
                    {
                        if (kt != Tag(1, 2))
                        {
                            return false;
                        }

                        var pair = ReadKeyValue(Nested(list));
                        w.WritePropertyName(pair.Key);
                        w.WriteRawValue(pair.ValueJson, skipInputValidation: true);
                        return true;
                    });
                    w.WriteEndObject();
                    break;
                case 7 when (tag & 7) == 2:
                    w.WriteStringValue(Convert.ToBase64String(v.ReadBytes().Span));
                    break;
                default:
                    return false;
            }

            written = true;
            return true;
        });
        if (!written)
        {
            w.WriteNullValue();
        }
    }

    /// <summary>
    /// Decodes the OTLP/JSON form: lowerCamelCase names (snake_case accepted too), ids as hex, 64-bit integers as
    /// numbers or decimal strings, enums as numbers.
    /// </summary>
    public static List<OtlpSpan> DecodeJson(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw MlflowException.InvalidParameter($"Invalid OpenTelemetry JSON body: {ex.Message}");
        }

        using (document)
        {
            var spans = new List<OtlpSpan>();
            foreach (var resource in Array(document.RootElement, "resourceSpans", "resource_spans"))
            {
                foreach (var scope in Array(resource, "scopeSpans", "scope_spans"))
                {
                    foreach (var span in Array(scope, "spans", "spans"))
                    {
                        spans.Add(ReadJsonSpan(span));
                    }
                }
            }

            return spans;
        }
    }

    private static OtlpSpan ReadJsonSpan(JsonElement span)
    {
        var status = Member(span, "status", "status");
        return new OtlpSpan(
            Id(span, "traceId", "trace_id"),
            Id(span, "spanId", "span_id"),
            Id(span, "parentSpanId", "parent_span_id"),
            Text(span, "name", "name") ?? "",
            Unsigned(span, "startTimeUnixNano", "start_time_unix_nano"),
            Unsigned(span, "endTimeUnixNano", "end_time_unix_nano"),
            Array(span, "attributes", "attributes").Select(JsonAttribute).ToList(),
            Array(span, "events", "events").Select(e => new OtlpEvent(
                Text(e, "name", "name") ?? "", Unsigned(e, "timeUnixNano", "time_unix_nano"), Array(e, "attributes", "attributes").Select(JsonAttribute).ToList())).ToList(),
            status is { } s && Member(s, "code", "code") is { } code ? StatusCode(code) : 0,
            status is { } m ? Text(m, "message", "message") ?? "" : "");
    }

    private static int StatusCode(JsonElement code) => code.ValueKind switch
    {
        JsonValueKind.Number => code.GetInt32(),
        JsonValueKind.String => code.GetString() switch
        {
            "STATUS_CODE_OK" => 1,
            "STATUS_CODE_ERROR" => 2,
            _ => 0,
        },
        _ => 0,
    };

    private static OtlpAttribute JsonAttribute(JsonElement kv)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Wire.WireResults.WriterOptions))
        {
            WriteJsonAnyValue(Member(kv, "value", "value"), w);
        }

        return new OtlpAttribute(Text(kv, "key", "key") ?? "", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    private static void WriteJsonAnyValue(JsonElement? value, Utf8JsonWriter w)
    {
        if (value is not { ValueKind: JsonValueKind.Object } v)
        {
            w.WriteNullValue();
            return;
        }

        if (Member(v, "stringValue", "string_value") is { } s)
        {
            w.WriteStringValue(s.GetString());
        }
        else if (Member(v, "boolValue", "bool_value") is { } b)
        {
            w.WriteBooleanValue(b.ValueKind == JsonValueKind.True);
        }
        else if (Member(v, "intValue", "int_value") is { } i)
        {
            w.WriteNumberValue(i.ValueKind == JsonValueKind.String ? long.Parse(i.GetString()!, CultureInfo.InvariantCulture) : i.GetInt64());
        }
        else if (Member(v, "doubleValue", "double_value") is { } d)
        {
            w.WriteNumberValue(d.GetDouble());
        }
        else if (Member(v, "arrayValue", "array_value") is { } array)
        {
            w.WriteStartArray();
            foreach (var item in Array(array, "values", "values"))
            {
                WriteJsonAnyValue(item, w);
            }

            w.WriteEndArray();
        }
        else if (Member(v, "kvlistValue", "kvlist_value") is { } list)
        {
            w.WriteStartObject();
            foreach (var item in Array(list, "values", "values"))
            {
                w.WritePropertyName(Text(item, "key", "key") ?? "");
                WriteJsonAnyValue(Member(item, "value", "value"), w);
            }

            w.WriteEndObject();
        }
        else if (Member(v, "bytesValue", "bytes_value") is { } bytes)
        {
            w.WriteStringValue(bytes.GetString());
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static JsonElement? Member(JsonElement holder, string camel, string snake) =>
        holder.ValueKind == JsonValueKind.Object && (holder.TryGetProperty(camel, out var v) || holder.TryGetProperty(snake, out v)) && v.ValueKind != JsonValueKind.Null
            ? v
            : null;

    private static IEnumerable<JsonElement> Array(JsonElement holder, string camel, string snake) =>
        Member(holder, camel, snake) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    private static string? Text(JsonElement holder, string camel, string snake) =>
        Member(holder, camel, snake) is { ValueKind: JsonValueKind.String } s ? s.GetString() : null;

    private static ulong Unsigned(JsonElement holder, string camel, string snake) => Member(holder, camel, snake) switch
    {
        { ValueKind: JsonValueKind.Number } n => n.GetUInt64(),
        { ValueKind: JsonValueKind.String } s when ulong.TryParse(s.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var u) => u,
        null => 0,
        var other => throw MlflowException.InvalidParameter($"Invalid OTLP value for '{camel}': {other.Value.GetRawText()}"),
    };

    /// <summary>OTLP/JSON writes ids as hex (the protobuf JSON mapping's base64 is accepted when the text is not hex).</summary>
    private static byte[] Id(JsonElement holder, string camel, string snake)
    {
        var text = Text(holder, camel, snake);
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        try
        {
            return text.Length % 2 == 0 && text.All(char.IsAsciiHexDigit) ? Convert.FromHexString(text) : Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw MlflowException.InvalidParameter($"Invalid OTLP id for '{camel}': '{text}' is neither hex nor base64.");
        }
    }
}
