using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Strata.Client.Http;
using Strata.Core.Deployments;
using Strata.Core.Tracking;

namespace Strata.Client;

/// <summary>
/// Deployments (<c>/api/2.0/strata/deployments</c>): declare which registered model versions serve a name, with traffic
/// weights, a shadow and a sticky key; change it under optimistic concurrency; roll back; read service metrics.
/// </summary>
public sealed partial class StrataClient
{
    internal const string DeploymentsPrefix = "api/2.0/strata/deployments";

    /// <summary>Creates the deployment at revision 1.</summary>
    public async Task<Deployment> CreateDeploymentAsync(string name, DeploymentSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var doc = await SendDeploymentsAsync(HttpMethod.Post, "", null, SpecBody(spec, w => w.WriteString("name"u8, name)), idempotent: false, ct).ConfigureAwait(false);
        return DeploymentJson.ReadDeployment(doc.RootElement.GetProperty("deployment"));
    }

    public async Task<Deployment> GetDeploymentAsync(string name, CancellationToken ct = default)
    {
        using var doc = await SendDeploymentsAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(name), null, null, idempotent: true, ct).ConfigureAwait(false);
        return DeploymentJson.ReadDeployment(doc.RootElement.GetProperty("deployment"));
    }

    public async Task<Page<Deployment>> ListDeploymentsPageAsync(int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var doc = await SendDeploymentsAsync(HttpMethod.Get, "", query, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "deployments", DeploymentJson.ReadDeployment);
    }

    public IAsyncEnumerable<Deployment> ListDeploymentsAsync(CancellationToken ct = default) =>
        Paginate<Deployment>((token, c) => ListDeploymentsPageAsync(null, token, c), ct);

    /// <summary>
    /// Writes revision <paramref name="revision"/>+1 holding <paramref name="spec"/>. <paramref name="revision"/> is the
    /// revision you read: if someone changed the deployment since, this throws a <see cref="StrataApiException"/> with
    /// RESOURCE_CONFLICT (409) and changes nothing.
    /// </summary>
    public async Task<Deployment> UpdateDeploymentAsync(string name, long revision, DeploymentSpec spec, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        using var doc = await SendDeploymentsAsync(
            HttpMethod.Patch, "/" + Uri.EscapeDataString(name), null, SpecBody(spec, w => w.WriteNumber("revision"u8, revision)), idempotent: false, ct).ConfigureAwait(false);
        return DeploymentJson.ReadDeployment(doc.RootElement.GetProperty("deployment"));
    }

    public async Task DeleteDeploymentAsync(string name, CancellationToken ct = default)
    {
        using var _ = await SendDeploymentsAsync(HttpMethod.Delete, "/" + Uri.EscapeDataString(name), null, null, idempotent: false, ct).ConfigureAwait(false);
    }

    /// <summary>Revisions newest first.</summary>
    public async Task<Page<DeploymentRevision>> ListDeploymentRevisionsPageAsync(string name, int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken);
        using var doc = await SendDeploymentsAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(name) + "/revisions", query, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "revisions", DeploymentJson.ReadRevision);
    }

    public IAsyncEnumerable<DeploymentRevision> ListDeploymentRevisionsAsync(string name, CancellationToken ct = default) =>
        Paginate<DeploymentRevision>((token, c) => ListDeploymentRevisionsPageAsync(name, null, token, c), ct);

    /// <summary>A new revision copying revision <paramref name="toRevision"/>; with <paramref name="expectedRevision"/>, only if still current.</summary>
    public async Task<Deployment> RollbackDeploymentAsync(string name, long toRevision, long? expectedRevision = null, CancellationToken ct = default)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("to_revision"u8, toRevision);
            if (expectedRevision is { } expected)
            {
                w.WriteNumber("revision"u8, expected);
            }

            w.WriteEndObject();
        });
        using var doc = await SendDeploymentsAsync(HttpMethod.Post, "/" + Uri.EscapeDataString(name) + "/rollback", null, body, idempotent: false, ct).ConfigureAwait(false);
        return DeploymentJson.ReadDeployment(doc.RootElement.GetProperty("deployment"));
    }

    /// <summary>Service metrics per version and bucket, merged across replicas, and per-version totals over the window.</summary>
    public async Task<DeploymentMetrics> GetDeploymentMetricsAsync(
        string name, DateTimeOffset? from = null, DateTimeOffset? to = null, MetricsResolution bucket = MetricsResolution.Minute, CancellationToken ct = default)
    {
        var query = new Query()
            .Add("from", from?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture))
            .Add("to", to?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture))
            .Add("bucket", bucket == MetricsResolution.Hour ? "hour" : "minute");
        using var doc = await SendDeploymentsAsync(HttpMethod.Get, "/" + Uri.EscapeDataString(name) + "/metrics", query, null, idempotent: true, ct).ConfigureAwait(false);
        var root = doc.RootElement;
        return new DeploymentMetrics(
            root.GetProperty("points").EnumerateArray().Select(ReadPoint).ToList(),
            root.GetProperty("totals").EnumerateArray().Select(ReadPoint).ToList());
    }

    private static ServiceMetricsPoint ReadPoint(JsonElement e) => new(
        e.GetProperty("model_name").GetString()!,
        e.GetProperty("model_version").GetString()!,
        e.GetProperty("shadow").GetBoolean(),
        e.GetProperty("timestamp").GetInt64(),
        e.GetProperty("requests").GetInt64(),
        e.GetProperty("errors").GetInt64(),
        e.GetProperty("error_rate").GetDouble(),
        e.GetProperty("latency_p50_ms").GetDouble(),
        e.GetProperty("latency_p95_ms").GetDouble(),
        e.GetProperty("latency_p99_ms").GetDouble(),
        e.GetProperty("latency_mean_ms").GetDouble(),
        e.GetProperty("throughput_per_second").GetDouble(),
        e.GetProperty("cpu_ms").GetDouble(),
        e.GetProperty("allocated_bytes").GetInt64(),
        e.GetProperty("cpu_ms_per_1000_predictions").GetDouble(),
        e.GetProperty("replicas").GetInt32());

    private static Page<T> ReadPage<T>(JsonElement root, string name, Func<JsonElement, T> read) =>
        new(root.TryGetProperty(name, out var items) ? items.EnumerateArray().Select(read).ToList() : [],
            root.TryGetProperty("next_page_token", out var token) ? NullIfEmpty(token.GetString()) : null);

    private static byte[] SpecBody(DeploymentSpec spec, Action<Utf8JsonWriter> extra) => Json(w =>
    {
        w.WriteStartObject();
        extra(w);
        DeploymentJson.WriteSpecMembers(w, spec);
        w.WriteEndObject();
    });

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            write(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private async Task<JsonDocument> SendDeploymentsAsync(HttpMethod method, string path, Query? query, byte[]? body, bool idempotent, CancellationToken ct)
    {
        using var request = NewRequest(method, new Uri(_baseUri, DeploymentsPrefix + path + (query?.ToString() ?? "")), idempotent);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
    }
}

/// <summary>A deployment's service metrics: points per (version, bucket) and totals per version over the window.</summary>
public sealed record DeploymentMetrics(IReadOnlyList<ServiceMetricsPoint> Points, IReadOnlyList<ServiceMetricsPoint> Totals);
