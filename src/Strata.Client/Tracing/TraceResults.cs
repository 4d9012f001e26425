using System.Globalization;
using System.Text.Json;

namespace Strata.Client.Tracing;

/// <summary>A trace's info as the server keeps it (MLflow 3's TraceInfoV3). <see cref="Json"/> has every field as sent.</summary>
public sealed record TraceInfoResult(
    string TraceId,
    string? ExperimentId,
    DateTimeOffset RequestTime,
    TimeSpan? ExecutionDuration,
    string State,
    string? RequestPreview,
    string? ResponsePreview,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<JsonElement> Assessments,
    JsonElement Json)
{
    internal static TraceInfoResult Parse(JsonElement info)
    {
        var experimentId = info.TryGetProperty("trace_location", out var location)
                           && location.TryGetProperty("mlflow_experiment", out var experiment)
                           && experiment.TryGetProperty("experiment_id", out var id)
            ? id.GetString()
            : null;
        return new TraceInfoResult(
            info.GetProperty("trace_id").GetString()!,
            experimentId,
            info.TryGetProperty("request_time", out var time) && time.ValueKind == JsonValueKind.String
                ? DateTimeOffset.Parse(time.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
                : DateTimeOffset.UnixEpoch,
            info.TryGetProperty("execution_duration", out var duration) && duration.ValueKind == JsonValueKind.String ? ParseDuration(duration.GetString()!) : null,
            info.TryGetProperty("state", out var state) ? state.GetString() ?? "" : "",
            info.TryGetProperty("request_preview", out var request) ? request.GetString() : null,
            info.TryGetProperty("response_preview", out var response) ? response.GetString() : null,
            Map(info, "tags"),
            Map(info, "trace_metadata"),
            info.TryGetProperty("assessments", out var assessments) && assessments.ValueKind == JsonValueKind.Array
                ? assessments.EnumerateArray().Select(a => a.Clone()).ToList()
                : [],
            info.Clone());
    }

    /// <summary>A protobuf JSON duration such as <c>"1.250s"</c>.</summary>
    private static TimeSpan? ParseDuration(string text) =>
        text.EndsWith('s') && decimal.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : null;

    private static Dictionary<string, string> Map(JsonElement holder, string name) =>
        holder.TryGetProperty(name, out var map) && map.ValueKind == JsonValueKind.Object
            ? map.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>
/// One span read back from the server. Ids are lower-case hex (as <c>Activity</c> writes them); attribute values are
/// the JSON text MLflow stores (<see cref="Inputs"/>/<see cref="Outputs"/> parse MLflow's own ones).
/// </summary>
public sealed record TraceSpanResult(
    string SpanId,
    string? ParentSpanId,
    string Name,
    long StartTimeUnixNano,
    long? EndTimeUnixNano,
    string StatusCode,
    string? StatusMessage,
    IReadOnlyDictionary<string, string> Attributes)
{
    /// <summary>MLflow's span type (<c>LLM</c>, <c>CHAIN</c>, <c>TOOL</c>...), or null.</summary>
    public string? SpanType => JsonAttribute("mlflow.spanType") is { ValueKind: JsonValueKind.String } type ? type.GetString() : null;

    public JsonElement? Inputs => JsonAttribute("mlflow.spanInputs");

    public JsonElement? Outputs => JsonAttribute("mlflow.spanOutputs");

    /// <summary>An attribute's value parsed as JSON, or null when absent or not JSON.</summary>
    public JsonElement? JsonAttribute(string key)
    {
        if (!Attributes.TryGetValue(key, out var text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal static TraceSpanResult Parse(JsonElement span)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (span.TryGetProperty("attributes", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var attribute in list.EnumerateArray())
            {
                var value = attribute.GetProperty("value");
                attributes[attribute.GetProperty("key").GetString()!] = value.TryGetProperty("string_value", out var s) ? s.GetString() ?? "" : value.GetRawText();
            }
        }

        var status = span.TryGetProperty("status", out var st) && st.ValueKind == JsonValueKind.Object ? st : default;
        return new TraceSpanResult(
            Id(span, "span_id") ?? "",
            Id(span, "parent_span_id"),
            span.TryGetProperty("name", out var name) ? name.GetString() ?? "" : "",
            Nanos(span, "start_time_unix_nano") ?? 0,
            Nanos(span, "end_time_unix_nano"),
            status.ValueKind == JsonValueKind.Object && status.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "",
            status.ValueKind == JsonValueKind.Object && status.TryGetProperty("message", out var message) ? message.GetString() : null,
            attributes);
    }

    /// <summary>Span ids travel as base64 of their 8 bytes; shown as hex.</summary>
    private static string? Id(JsonElement span, string name)
    {
        if (!span.TryGetProperty(name, out var value) || value.GetString() is not { Length: > 0 } text)
        {
            return null;
        }

        var bytes = new byte[text.Length];
        return Convert.TryFromBase64String(text, bytes, out var written) ? Convert.ToHexStringLower(bytes.AsSpan(0, written)) : text;
    }

    private static long? Nanos(JsonElement span, string name) =>
        !span.TryGetProperty(name, out var value) ? null
        : value.ValueKind == JsonValueKind.Number ? value.GetInt64()
        : long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
}

/// <summary>A trace with its spans (ordered as stored: by start time).</summary>
public sealed record TraceResult(TraceInfoResult Info, IReadOnlyList<TraceSpanResult> Spans);
