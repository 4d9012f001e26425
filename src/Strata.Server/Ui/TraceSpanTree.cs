using System.Globalization;
using System.Text.Json;

namespace Strata.Server.Ui;

/// <summary>One span of a trace as the trace page shows it. Ids are lower-case hex; times are Unix nanoseconds.</summary>
public sealed record UiSpan(
    string SpanId,
    string? ParentId,
    string Name,
    string? SpanType,
    string Status,
    string? StatusMessage,
    long StartNanos,
    long? EndNanos,
    string? Inputs,
    string? Outputs,
    IReadOnlyList<KeyValuePair<string, string>> Attributes,
    IReadOnlyList<UiSpanEvent> Events)
{
    public double DurationMs => EndNanos is { } end && end >= StartNanos ? (end - StartNanos) / 1e6 : 0;

    public bool IsError => Status is "ERROR" or "STATUS_CODE_ERROR";
}

/// <summary>An event recorded on a span (for example an exception), with its attributes as text.</summary>
public sealed record UiSpanEvent(string Name, long? TimeNanos, IReadOnlyList<KeyValuePair<string, string>> Attributes);

/// <summary>A span in the tree's display order with its depth and its bar in the waterfall (percent of the trace).</summary>
public sealed record UiSpanRow(UiSpan Span, int Depth, double OffsetPercent, double WidthPercent, double OffsetMs);

/// <summary>
/// Reads a trace's span data (<c>traces.json</c>: MLflow 3's per-span form with base64 ids and nanosecond times, or
/// MLflow 2's with a <c>context</c> object and hex ids) into spans, and lays them out as a tree for the waterfall.
/// Attribute values in the file are JSON text; inputs and outputs are shown pretty-printed.
/// </summary>
public static class TraceSpanTree
{
    private const string InputsKey = "mlflow.spanInputs";
    private const string OutputsKey = "mlflow.spanOutputs";
    private const string TypeKey = "mlflow.spanType";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The spans of the document; an unreadable document or span is skipped, never an error page.</summary>
    public static IReadOnlyList<UiSpan> Parse(byte[]? tracesJson)
    {
        if (tracesJson is null || tracesJson.Length == 0)
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(tracesJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("spans", out var spans) || spans.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            var result = new List<UiSpan>(spans.GetArrayLength());
            foreach (var span in spans.EnumerateArray())
            {
                if (span.ValueKind == JsonValueKind.Object && ReadSpan(span) is { } s)
                {
                    result.Add(s);
                }
            }

            return result;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>
    /// Depth-first order (children by start time); spans whose parent is missing start their own subtree. Bars are
    /// placed on the trace's time range so the waterfall reads left to right.
    /// </summary>
    public static IReadOnlyList<UiSpanRow> Layout(IReadOnlyList<UiSpan> spans)
    {
        if (spans.Count == 0)
        {
            return [];
        }

        var start = spans.Min(s => s.StartNanos);
        var end = spans.Max(s => s.EndNanos ?? s.StartNanos);
        var total = Math.Max(1, end - start);
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var children = spans
            .Where(s => s.ParentId is not null && ids.Contains(s.ParentId) && s.ParentId != s.SpanId)
            .GroupBy(s => s.ParentId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.StartNanos).ToList(), StringComparer.Ordinal);
        var roots = spans.Where(s => s.ParentId is null || !ids.Contains(s.ParentId) || s.ParentId == s.SpanId).OrderBy(s => s.StartNanos);

        var rows = new List<UiSpanRow>(spans.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<(UiSpan Span, int Depth)>();
        foreach (var root in roots.Reverse())
        {
            stack.Push((root, 0));
        }

        // Spans no root reaches (parents naming each other in a hand-made file) start subtrees of their own at the end.
        var leftovers = new Queue<UiSpan>(spans.OrderBy(s => s.StartNanos));
        while (stack.Count > 0 || leftovers.Count > 0)
        {
            if (stack.Count == 0)
            {
                var next = leftovers.Dequeue();
                if (!seen.Contains(next.SpanId))
                {
                    stack.Push((next, 0));
                }

                continue;
            }

            var (span, depth) = stack.Pop();
            if (!seen.Add(span.SpanId))
            {
                continue; // a cycle or a duplicate id in a hand-made file
            }

            var offset = span.StartNanos - start;
            var width = (span.EndNanos ?? span.StartNanos) - span.StartNanos;
            rows.Add(new UiSpanRow(span, depth, 100.0 * offset / total, Math.Max(0.4, 100.0 * width / total), offset / 1e6));
            if (children.TryGetValue(span.SpanId, out var kids))
            {
                for (var i = kids.Count - 1; i >= 0; i--)
                {
                    stack.Push((kids[i], depth + 1));
                }
            }
        }

        return rows;
    }

    private static UiSpan? ReadSpan(JsonElement span)
    {
        // MLflow 3 keeps ids at the top level (base64); MLflow 2 in "context" (0x-prefixed hex).
        var spanId = Id(Str(span, "span_id") ?? (span.TryGetProperty("context", out var context) && context.ValueKind == JsonValueKind.Object ? Str(context, "span_id") : null));
        if (spanId is null)
        {
            return null;
        }

        var parent = Id(Str(span, "parent_span_id") ?? Str(span, "parent_id"));
        var startNanos = Nanos(span, "start_time_unix_nano") ?? Nanos(span, "start_time") ?? 0;
        var endNanos = Nanos(span, "end_time_unix_nano") ?? Nanos(span, "end_time");
        string status = "UNSET";
        string? message = null;
        if (span.TryGetProperty("status", out var st) && st.ValueKind == JsonValueKind.Object)
        {
            status = Str(st, "code") ?? status;
            message = Str(st, "message");
        }
        else if (Str(span, "status_code") is { } code)
        {
            status = code;
            message = Str(span, "status_message");
        }

        string? inputs = null, outputs = null, type = null;
        var attributes = new List<KeyValuePair<string, string>>();
        if (span.TryGetProperty("attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Object)
        {
            foreach (var a in attrs.EnumerateObject())
            {
                var text = a.Value.ValueKind == JsonValueKind.String ? a.Value.GetString() ?? "" : a.Value.GetRawText();
                switch (a.Name)
                {
                    case InputsKey: inputs = Pretty(text); break;
                    case OutputsKey: outputs = Pretty(text); break;
                    case TypeKey: type = Unquote(text); attributes.Add(new(a.Name, Unquote(text))); break;
                    default: attributes.Add(new(a.Name, Unquote(text))); break;
                }
            }
        }

        var events = new List<UiSpanEvent>();
        if (span.TryGetProperty("events", out var evs) && evs.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in evs.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object))
            {
                var eventAttributes = new List<KeyValuePair<string, string>>();
                if (e.TryGetProperty("attributes", out var ea) && ea.ValueKind == JsonValueKind.Object)
                {
                    eventAttributes.AddRange(ea.EnumerateObject().Select(p => new KeyValuePair<string, string>(
                        p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText())));
                }

                events.Add(new UiSpanEvent(Str(e, "name") ?? "event", Nanos(e, "time_unix_nano") ?? Nanos(e, "timestamp"), eventAttributes));
            }
        }

        return new UiSpan(spanId, parent, Str(span, "name") ?? "(unnamed)", type, status, string.IsNullOrEmpty(message) ? null : message,
            startNanos, endNanos, inputs, outputs, attributes.OrderBy(a => a.Key, StringComparer.Ordinal).ToList(), events);
    }

    /// <summary>Base64 (MLflow 3) or 0x-hex (MLflow 2) ids as lower-case hex, the form MLflow's UI and OTel show.</summary>
    public static string? Id(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (raw.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return raw[2..].ToLowerInvariant();
        }

        var bytes = new byte[raw.Length];
        return Convert.TryFromBase64String(raw, bytes, out var n) && n is 8 or 16 ? Convert.ToHexStringLower(bytes.AsSpan(0, n)) : raw;
    }

    private static string? Str(JsonElement holder, string name) =>
        holder.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Nanos(JsonElement holder, string name)
    {
        if (!holder.TryGetProperty(name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => n,
            JsonValueKind.String when long.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
            _ => null,
        };
    }

    /// <summary>An attribute's JSON text without the quotes of a JSON string, else as it is.</summary>
    private static string Unquote(string json)
    {
        if (json.Length >= 2 && json[0] == '"')
        {
            try
            {
                return JsonSerializer.Deserialize<string>(json) ?? json;
            }
            catch (JsonException)
            {
            }
        }

        return json;
    }

    /// <summary>JSON text indented for reading; anything else as it is.</summary>
    public static string Pretty(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
