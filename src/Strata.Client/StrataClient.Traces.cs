using System.Net.Http.Headers;
using System.Text.Json;
using Strata.Client.Tracing;

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
