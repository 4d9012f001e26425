using System.Net.Http.Headers;
using System.Text.Json;
using Strata.Client.Tracing;
using Strata.Core.Tracking;

namespace Strata.Client;

public sealed partial class StrataClient
{
    private const string TracesV3Prefix = "api/3.0/mlflow/traces";

    /// <summary>
    /// Starts recording MLflow traces in <paramref name="experimentId"/>: spans of <see cref="StrataTracing.Source"/>
    /// and, inside them, of the sources in <paramref name="configure"/>'s options (System.Net.Http by default).
    /// </summary>
    public StrataTracing StartTracing(string experimentId, Action<StrataTracingOptions>? configure = null)
    {
        var options = new StrataTracingOptions { ExperimentId = experimentId };
        configure?.Invoke(options);
        return new StrataTracing(this, options);
    }

    /// <summary>A trace's info as the server keeps it (GetTraceInfoV3), as JSON.</summary>
    public async Task<JsonElement> GetTraceInfoAsync(string traceId, CancellationToken ct = default)
    {
        using var request = NewRequest(HttpMethod.Get, new Uri(_baseUri, $"{TracesV3Prefix}/{Uri.EscapeDataString(traceId)}"), idempotent: true);
        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var body = await ReadJsonAsync<JsonElement>(response, ct).ConfigureAwait(false);
        return body.GetProperty("trace").GetProperty("trace_info");
    }

    /// <summary>One page of SearchTracesV3: trace infos newest first unless ordered otherwise; pass the page's token on.</summary>
    public async Task<Page<TraceInfoResult>> SearchTracesPageAsync(TraceSearch search, string? pageToken = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(search);
        var body = new Dictionary<string, object?>
        {
            ["locations"] = search.ExperimentIds.Select(id => new { type = "MLFLOW_EXPERIMENT", mlflow_experiment = new { experiment_id = id } }).ToList(),
            ["filter"] = search.Filter,
            ["order_by"] = search.OrderBy ?? [],
            ["max_results"] = search.MaxResults,
            ["page_token"] = pageToken,
        };
        using var request = NewRequest(HttpMethod.Post, new Uri(_baseUri, $"{TracesV3Prefix}/search"), idempotent: true);
        request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body.Where(p => p.Value is not null).ToDictionary()));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var page = await ReadJsonAsync<JsonElement>(response, ct).ConfigureAwait(false);
        var traces = page.TryGetProperty("traces", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(TraceInfoResult.Parse).ToList()
            : [];
        var next = page.TryGetProperty("next_page_token", out var token) ? token.GetString() : null;
        return new Page<TraceInfoResult>(traces, string.IsNullOrEmpty(next) ? null : next);
    }

    /// <summary>Every trace the search matches, page after page.</summary>
    public IAsyncEnumerable<TraceInfoResult> SearchTracesAsync(TraceSearch search, CancellationToken ct = default) =>
        Paginate<TraceInfoResult>((token, c) => SearchTracesPageAsync(search, token, c), ct);

    /// <summary>A trace with its spans read back (BatchGetTraces), or null when there is no such trace.</summary>
    public async Task<TraceResult?> GetTraceAsync(string traceId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(traceId);
        using var request = NewRequest(
            HttpMethod.Get, new Uri(_baseUri, $"{TracesV3Prefix}/batchGet?trace_ids={Uri.EscapeDataString(traceId)}"), idempotent: true);
        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var body = await ReadJsonAsync<JsonElement>(response, ct).ConfigureAwait(false);
        if (!body.TryGetProperty("traces", out var traces) || traces.ValueKind != JsonValueKind.Array || traces.GetArrayLength() == 0)
        {
            return null;
        }

        var trace = traces[0];
        var spans = trace.TryGetProperty("spans", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(TraceSpanResult.Parse).ToList()
            : [];
        return new TraceResult(TraceInfoResult.Parse(trace.GetProperty("trace_info")), spans);
    }

    /// <summary>StartTraceV3 with the trace info, then the span data to the trace's artifact location, as MLflow's exporter does.</summary>
    internal async Task LogTraceAsync(MlflowTraceDocument trace, CancellationToken ct)
    {
        using var request = NewRequest(HttpMethod.Post, new Uri(_baseUri, TracesV3Prefix), idempotent: true);
        request.Content = new ByteArrayContent(trace.StartTraceBody);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var info = (await ReadJsonAsync<JsonElement>(response, ct).ConfigureAwait(false)).GetProperty("trace").GetProperty("trace_info");
        var location = info.GetProperty("tags").GetProperty("mlflow.artifactLocation").GetString()
                       ?? throw new InvalidOperationException($"The server gave trace {trace.TraceId} no artifact location.");
        await UploadArtifactToUriAsync(location, "traces.json", new MemoryStream(trace.SpansJson), ct).ConfigureAwait(false);
    }
}
