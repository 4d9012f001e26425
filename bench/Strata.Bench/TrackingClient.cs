using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Strata.Bench;

/// <summary>One metric point as the wire carries it.</summary>
internal readonly record struct MetricPoint(string Key, double Value, long Timestamp, long Step);

/// <summary>A failed request: the endpoint, HTTP status and the start of the body, so a broken server is easy to diagnose.</summary>
internal sealed class BenchException(string message) : Exception(message);

/// <summary>
/// The few MLflow REST calls the bench needs, written against the wire spec (not against Strata's code), so the
/// same bench can measure any MLflow-compatible server. Bodies are written with Utf8JsonWriter to keep the
/// client's own cost small next to the server's.
/// </summary>
internal sealed class TrackingClient(HttpClient http)
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public async Task CheckReachableAsync(CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync("health", ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new BenchException($"GET /health answered {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException ex)
        {
            throw new BenchException($"cannot reach {http.BaseAddress}: {ex.Message}");
        }
    }

    public async Task<string> CreateExperimentAsync(string name, CancellationToken ct)
    {
        using var doc = await PostAsync("api/2.0/mlflow/experiments/create", w =>
        {
            w.WriteString("name", name);
        }, ct);
        return RequiredString(doc.RootElement, "experiment_id", "experiments/create");
    }

    public async Task<string> CreateRunAsync(string experimentId, long startTime, string? runName, CancellationToken ct)
    {
        using var doc = await PostAsync("api/2.0/mlflow/runs/create", w =>
        {
            w.WriteString("experiment_id", experimentId);
            w.WriteNumber("start_time", startTime);
            if (runName is not null)
            {
                w.WriteString("run_name", runName);
            }
        }, ct);
        if (!doc.RootElement.TryGetProperty("run", out var run) || !run.TryGetProperty("info", out var info))
        {
            throw new BenchException("runs/create answered without run.info");
        }
        return RequiredString(info, "run_id", "runs/create");
    }

    public async Task LogBatchAsync(string runId, ReadOnlyMemory<MetricPoint> metrics, IReadOnlyList<(string Key, string Value)> parameters, CancellationToken ct)
    {
        using var _ = await PostAsync("api/2.0/mlflow/runs/log-batch", w =>
        {
            w.WriteString("run_id", runId);
            if (metrics.Length > 0)
            {
                w.WriteStartArray("metrics");
                foreach (var m in metrics.Span)
                {
                    w.WriteStartObject();
                    w.WriteString("key", m.Key);
                    w.WriteNumber("value", m.Value);
                    w.WriteNumber("timestamp", m.Timestamp);
                    w.WriteNumber("step", m.Step);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            if (parameters.Count > 0)
            {
                w.WriteStartArray("params");
                foreach (var (key, value) in parameters)
                {
                    w.WriteStartObject();
                    w.WriteString("key", key);
                    w.WriteString("value", value);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
        }, ct);
    }

    public async Task LogMetricAsync(string runId, MetricPoint metric, CancellationToken ct)
    {
        using var _ = await PostAsync("api/2.0/mlflow/runs/log-metric", w =>
        {
            w.WriteString("run_id", runId);
            w.WriteString("key", metric.Key);
            w.WriteNumber("value", metric.Value);
            w.WriteNumber("timestamp", metric.Timestamp);
            w.WriteNumber("step", metric.Step);
        }, ct);
    }

    public Task<JsonDocument> SearchRunsAsync(string experimentId, string filter, string orderBy, int maxResults, CancellationToken ct) =>
        PostAsync("api/2.0/mlflow/runs/search", w =>
        {
            w.WriteStartArray("experiment_ids");
            w.WriteStringValue(experimentId);
            w.WriteEndArray();
            w.WriteString("filter", filter);
            w.WriteStartArray("order_by");
            if (orderBy.Length > 0)
            {
                // Empty: the server's default order (start_time DESC).
                w.WriteStringValue(orderBy);
            }

            w.WriteEndArray();
            w.WriteNumber("max_results", maxResults);
        }, ct);

    /// <summary>Reads a whole metric history the way the Python client does: pages of <paramref name="pageSize"/> until no token.</summary>
    /// <summary>Reads a whole metric history page by page, parsing every page as a client does.</summary>
    public async Task<(int Points, int Pages, long LastStep, bool Ordered)> GetHistoryAsync(string runId, string key, int pageSize, CancellationToken ct)
    {
        var points = 0;
        var pages = 0;
        var ordered = true;
        long lastStep = -1;
        string? token = null;
        do
        {
            var query = $"api/2.0/mlflow/metrics/get-history?run_id={Uri.EscapeDataString(runId)}&metric_key={Uri.EscapeDataString(key)}&max_results={pageSize}";
            if (!string.IsNullOrEmpty(token))
            {
                query += $"&page_token={Uri.EscapeDataString(token)}";
            }
            using var request = new HttpRequestMessage(HttpMethod.Get, query);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var text = System.Text.Encoding.UTF8.GetString(body);
                throw new BenchException($"metrics/get-history answered {(int)response.StatusCode}: {(text.Length > 400 ? text[..400] + "..." : text)}");
            }
            using var doc = JsonDocument.Parse(body);
            pages++;
            if (doc.RootElement.TryGetProperty("metrics", out var metrics))
            {
                foreach (var m in metrics.EnumerateArray())
                {
                    var step = m.TryGetProperty("step", out var s) ? ReadInt64(s) : 0;
                    ordered &= step > lastStep;
                    lastStep = step;
                    points++;
                }
            }
            token = doc.RootElement.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
        }
        while (!string.IsNullOrEmpty(token));
        return (points, pages, lastStep, ordered);
    }

    /// <summary>
    /// Reads a whole metric history with as little client work as possible (the body bytes, then a forward-only scan
    /// for the count and the token), so the time is mostly the server's: the scale bench's "server-side" figure.
    /// </summary>
    public async Task<(int Points, int Pages)> GetHistoryLightAsync(string runId, string key, int pageSize, CancellationToken ct)
    {
        var points = 0;
        var pages = 0;
        string? token = null;
        do
        {
            var query = $"api/2.0/mlflow/metrics/get-history?run_id={Uri.EscapeDataString(runId)}&metric_key={Uri.EscapeDataString(key)}&max_results={pageSize}";
            if (!string.IsNullOrEmpty(token))
            {
                query += $"&page_token={Uri.EscapeDataString(token)}";
            }

            using var response = await http.GetAsync(query, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                throw new BenchException($"metrics/get-history answered {(int)response.StatusCode}");
            }

            pages++;
            token = null;
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    if (reader.ValueTextEquals("next_page_token"u8))
                    {
                        reader.Read();
                        token = reader.GetString();
                    }
                }
                else if (reader.TokenType == JsonTokenType.StartObject && reader.CurrentDepth == 2)
                {
                    points++;
                    reader.Skip();
                }
            }
        }
        while (!string.IsNullOrEmpty(token));
        return (points, pages);
    }

    private Task<JsonDocument> PostAsync(string path, Action<Utf8JsonWriter> writeFields, CancellationToken ct)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeFields(writer);
            writer.WriteEndObject();
        }
        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = Json;
        return SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content }, path, ct);
    }

    private async Task<JsonDocument> SendAsync(HttpRequestMessage request, string what, CancellationToken ct)
    {
        using (request)
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var body = await response.Content.ReadAsByteArrayAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                var text = System.Text.Encoding.UTF8.GetString(body);
                throw new BenchException($"{what} answered {(int)response.StatusCode}: {(text.Length > 400 ? text[..400] + "..." : text)}");
            }
            try
            {
                return JsonDocument.Parse(body);
            }
            catch (JsonException ex)
            {
                throw new BenchException($"{what} answered 200 with a body that is not JSON: {ex.Message}");
            }
        }
    }

    private static string RequiredString(JsonElement element, string name, string what) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new BenchException($"{what} answered without {name}");

    /// <summary>int64 arrive as numbers from MLflow-compatible servers, but protobuf JSON also allows strings.</summary>
    internal static long ReadInt64(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : value.GetInt64();

    internal static double ReadDouble(JsonElement value) =>
        value.ValueKind == JsonValueKind.String ? double.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : value.GetDouble();
}
