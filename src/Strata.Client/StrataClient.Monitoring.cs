using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Strata.Client.Http;
using Strata.Core.Monitoring;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Client;

/// <summary>
/// Monitoring (<c>/api/2.0/strata/monitoring</c> and <c>/api/2.0/strata/deployments/{name}/…</c>): reference profiles
/// of model versions, drift runs per deployment or per model version, alert thresholds with their states, and the
/// alert events. Service metrics are <see cref="GetDeploymentMetricsAsync"/>.
/// </summary>
public sealed partial class StrataClient
{
    internal const string MonitoringPrefix = "api/2.0/strata/monitoring";

    private static readonly JsonSerializerOptions ProfileJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    // ---- reference profiles ----

    /// <summary>
    /// Profiles the dataset logged as the version's run input (the one named <paramref name="datasetName"/> when the run
    /// logged several) and stores it with the version. <paramref name="version"/> is a number or an alias.
    /// </summary>
    public async Task<StoredProfile> ComputeProfileAsync(
        string model, string version, string? datasetName = null, string? predictionColumn = null, CancellationToken ct = default)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            w.WriteString("name"u8, model);
            w.WriteString("version"u8, version);
            WriteOptional(w, "dataset_name", datasetName);
            WriteOptional(w, "prediction_column", predictionColumn);
            w.WriteEndObject();
        });
        using var doc = await SendMonitoringAsync(HttpMethod.Post, MonitoringPrefix + "/profiles", null, body, "application/json", idempotent: true, ct).ConfigureAwait(false);
        return ReadProfile(doc.RootElement.GetProperty("reference_profile"));
    }

    /// <summary>
    /// Profiles uploaded training data and stores it with the version: <paramref name="data"/> is CSV with a header row
    /// (<paramref name="csv"/> true) or a JSON table (records, <c>dataframe_split</c> or columns).
    /// </summary>
    public async Task<StoredProfile> UploadProfileAsync(
        string model, string version, ReadOnlyMemory<byte> data, bool csv = true, string? predictionColumn = null, CancellationToken ct = default)
    {
        var query = new Query().Add("name", model).Add("version", version).Add("prediction_column", predictionColumn);
        using var doc = await SendMonitoringAsync(
            HttpMethod.Post, MonitoringPrefix + "/profiles/upload", query, data.ToArray(), csv ? "text/csv" : "application/json", idempotent: true, ct).ConfigureAwait(false);
        return ReadProfile(doc.RootElement.GetProperty("reference_profile"));
    }

    public async Task<StoredProfile> GetProfileAsync(string model, string version, CancellationToken ct = default)
    {
        var query = new Query().Add("name", model).Add("version", version);
        using var doc = await SendMonitoringAsync(HttpMethod.Get, MonitoringPrefix + "/profiles", query, null, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadProfile(doc.RootElement.GetProperty("reference_profile"));
    }

    // ---- drift ----

    /// <summary>
    /// Drift runs of a deployment (all its versions, or <paramref name="version"/>) whose windows end within
    /// [<paramref name="from"/>, <paramref name="to"/>], newest first.
    /// </summary>
    public Task<IReadOnlyList<DriftRun>> ListDeploymentDriftAsync(
        string deployment, string? version = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int? maxResults = null, CancellationToken ct = default) =>
        ListDriftAsync(DeploymentPath(deployment, "/drift"), null, version, from, to, maxResults, ct);

    /// <summary>Drift runs of a registered model (all its versions, or <paramref name="version"/>), newest first.</summary>
    public Task<IReadOnlyList<DriftRun>> ListModelDriftAsync(
        string model, string? version = null, DateTimeOffset? from = null, DateTimeOffset? to = null, int? maxResults = null, CancellationToken ct = default) =>
        ListDriftAsync(MonitoringPrefix + "/drift", model, version, from, to, maxResults, ct);

    /// <summary>
    /// Computes drift now for the deployment's versions (or one of them) over [<paramref name="from"/>, <paramref name="to"/>]
    /// (default: the last 24 hours) and stores the runs. <paramref name="method"/> forces one method (ks, chisquare,
    /// wasserstein, jensenshannon, psi); <paramref name="threshold"/> overrides its default.
    /// </summary>
    public Task<IReadOnlyList<DriftRun>> ComputeDeploymentDriftAsync(
        string deployment, string? version = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? method = null, double? threshold = null,
        CancellationToken ct = default) =>
        ComputeDriftAsync(DeploymentPath(deployment, "/drift/compute"), null, version, from, to, method, threshold, ct);

    /// <summary>Computes drift now for one model version's logged predictions and stores the run.</summary>
    public Task<IReadOnlyList<DriftRun>> ComputeModelDriftAsync(
        string model, string version, DateTimeOffset? from = null, DateTimeOffset? to = null, string? method = null, double? threshold = null,
        CancellationToken ct = default) =>
        ComputeDriftAsync(MonitoringPrefix + "/drift/compute", model, version, from, to, method, threshold, ct);

    private async Task<IReadOnlyList<DriftRun>> ListDriftAsync(
        string path, string? model, string? version, DateTimeOffset? from, DateTimeOffset? to, int? maxResults, CancellationToken ct)
    {
        var query = new Query().Add("name", model).Add("version", version).Add("from", from?.ToUnixTimeMilliseconds())
            .Add("to", to?.ToUnixTimeMilliseconds()).Add("max_results", maxResults);
        using var doc = await SendMonitoringAsync(HttpMethod.Get, path, query, null, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadRuns(doc.RootElement);
    }

    private async Task<IReadOnlyList<DriftRun>> ComputeDriftAsync(
        string path, string? model, string? version, DateTimeOffset? from, DateTimeOffset? to, string? method, double? threshold, CancellationToken ct)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            WriteOptional(w, "name", model);
            WriteOptional(w, "version", version);
            WriteOptional(w, "from", from?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            WriteOptional(w, "to", to?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
            WriteOptional(w, "method", method);
            if (threshold is { } t)
            {
                w.WriteNumber("threshold"u8, t);
            }

            w.WriteEndObject();
        });
        using var doc = await SendMonitoringAsync(HttpMethod.Post, path, null, body, "application/json", idempotent: false, ct).ConfigureAwait(false);
        return ReadRuns(doc.RootElement);
    }

    // ---- alerts ----

    /// <summary>The deployment's alert thresholds with the state of each watched version's error rate and latency p99.</summary>
    public async Task<DeploymentAlerts> GetDeploymentAlertsAsync(string deployment, CancellationToken ct = default)
    {
        using var doc = await SendMonitoringAsync(HttpMethod.Get, DeploymentPath(deployment, "/alerts"), null, null, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadAlerts(doc.RootElement.GetProperty("alert_thresholds"));
    }

    /// <summary>
    /// Replaces the deployment's alert thresholds: a null threshold is not watched; a null window (minutes of service
    /// metrics) or minimum request count takes the server's default (5 minutes, 1 request).
    /// </summary>
    public async Task<DeploymentAlerts> SetDeploymentAlertsAsync(
        string deployment, double? errorRate = null, double? latencyP99Ms = null, double? driftShare = null, int? windowMinutes = null, long? minRequests = null,
        CancellationToken ct = default)
    {
        var body = Json(w =>
        {
            w.WriteStartObject();
            WriteOptional(w, "error_rate", errorRate);
            WriteOptional(w, "latency_p99_ms", latencyP99Ms);
            WriteOptional(w, "drift_share", driftShare);
            WriteOptional(w, "window_minutes", (long?)windowMinutes);
            WriteOptional(w, "min_requests", minRequests);
            w.WriteEndObject();
        });
        using var doc = await SendMonitoringAsync(HttpMethod.Put, DeploymentPath(deployment, "/alerts"), null, body, "application/json", idempotent: true, ct).ConfigureAwait(false);
        return ReadAlerts(doc.RootElement.GetProperty("alert_thresholds"));
    }

    /// <summary>One page of the deployment's alert events (drift share, error rate, latency p99 crossings), newest first.</summary>
    public async Task<Page<RegistryEvent>> ListDeploymentAlertEventsPageAsync(string deployment, int? maxResults = null, string? pageToken = null, CancellationToken ct = default)
    {
        var query = new Query().Add("max_results", maxResults).Add("page_token", pageToken);
        using var doc = await SendMonitoringAsync(HttpMethod.Get, DeploymentPath(deployment, "/alerts/events"), query, null, null, idempotent: true, ct).ConfigureAwait(false);
        return ReadPage(doc.RootElement, "events", ReadEvent);
    }

    public IAsyncEnumerable<RegistryEvent> ListDeploymentAlertEventsAsync(string deployment, CancellationToken ct = default) =>
        Paginate<RegistryEvent>((token, c) => ListDeploymentAlertEventsPageAsync(deployment, null, token, c), ct);

    // ---- wire ----

    private static string DeploymentPath(string deployment, string tail) => DeploymentsPrefix + "/" + Uri.EscapeDataString(deployment) + tail;

    private static StoredProfile ReadProfile(JsonElement e) => new(
        e.GetProperty("name").GetString()!,
        long.Parse(e.GetProperty("version").GetString()!, CultureInfo.InvariantCulture),
        e.GetProperty("created_at").GetInt64(),
        e.GetProperty("profile").Deserialize<ReferenceProfile>(ProfileJson) ?? throw new JsonException("The server sent an empty profile."));

    private static IReadOnlyList<DriftRun> ReadRuns(JsonElement root) =>
        root.TryGetProperty("drift_runs", out var runs) ? runs.EnumerateArray().Select(ReadRun).ToList() : [];

    private static DriftRun ReadRun(JsonElement e) => new()
    {
        Id = long.Parse(e.GetProperty("id").GetString()!, CultureInfo.InvariantCulture),
        Deployment = e.GetProperty("deployment").GetString()!,
        ModelName = e.GetProperty("name").GetString()!,
        Version = long.Parse(e.GetProperty("version").GetString()!, CultureInfo.InvariantCulture),
        WindowStartMs = e.GetProperty("window_start_ms").GetInt64(),
        WindowEndMs = e.GetProperty("window_end_ms").GetInt64(),
        ComputedAtMs = e.GetProperty("computed_at").GetInt64(),
        Trigger = e.GetProperty("trigger").GetString()!,
        Method = e.GetProperty("method").GetString()!,
        ReferenceRows = e.GetProperty("reference_rows").GetInt64(),
        CurrentRows = e.GetProperty("current_rows").GetInt64(),
        FeaturesCompared = e.GetProperty("features_compared").GetInt32(),
        FeaturesDrifted = e.GetProperty("features_drifted").GetInt32(),
        DriftShare = e.GetProperty("drift_share").GetDouble(),
        Features = e.GetProperty("features").EnumerateArray().Select(f => new FeatureDrift(
            f.GetProperty("feature").GetString()!,
            f.GetProperty("is_prediction").GetBoolean(),
            f.GetProperty("kind").GetString() == "numeric" ? FeatureKind.Numeric : FeatureKind.Categorical,
            f.GetProperty("method").GetString()!,
            f.GetProperty("score").GetDouble(),
            f.GetProperty("threshold").GetDouble(),
            f.GetProperty("drifted").GetBoolean(),
            f.GetProperty("current_count").GetInt64(),
            f.GetProperty("current_missing").GetInt64())).ToList(),
    };

    private static DeploymentAlerts ReadAlerts(JsonElement e)
    {
        var thresholds = new AlertThresholds(
            e.GetProperty("deployment").GetString()!,
            OptionalDouble(e, "error_rate"),
            OptionalDouble(e, "latency_p99_ms"),
            OptionalDouble(e, "drift_share"),
            e.GetProperty("updated_at").GetInt64(),
            e.TryGetProperty("updated_by", out var by) ? by.GetString() : null)
        {
            DriftAlerting = e.GetProperty("drift_alerting").GetBoolean(),
            WindowMinutes = e.TryGetProperty("window_minutes", out var window) ? window.GetInt32() : AlertThresholds.DefaultWindowMinutes,
            MinRequests = e.TryGetProperty("min_requests", out var min) ? min.GetInt64() : 1,
        };
        var states = e.TryGetProperty("states", out var list)
            ? list.EnumerateArray().Select(s =>
            {
                var signal = s.GetProperty("signal").GetString()!;
                return new AlertState(
                    thresholds.Deployment,
                    signal,
                    s.GetProperty("name").GetString()!,
                    s.GetProperty("version").GetString()!,
                    s.GetProperty("alerting").GetBoolean(),
                    s.GetProperty(AlertSignals.ValueField(signal)).GetDouble(),
                    s.GetProperty("threshold").GetDouble(),
                    s.GetProperty("requests").GetInt64(),
                    s.GetProperty("changed_at").GetInt64(),
                    s.GetProperty("evaluated_at").GetInt64());
            }).ToList()
            : [];
        return new DeploymentAlerts(thresholds, states);
    }

    private static RegistryEvent ReadEvent(JsonElement e) => new(
        e.GetProperty("id").GetInt64(),
        e.GetProperty("timestamp").GetInt64(),
        e.TryGetProperty("user_id", out var user) ? user.GetString() : null,
        e.GetProperty("event_type").GetString()!,
        e.GetProperty("name").GetString()!,
        e.TryGetProperty("version", out var v) ? long.Parse(v.GetString()!, CultureInfo.InvariantCulture) : null,
        e.TryGetProperty("before", out var before) ? before.GetRawText() : null,
        e.TryGetProperty("after", out var after) ? after.GetRawText() : null);

    private static double? OptionalDouble(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetDouble() : null;

    private static void WriteOptional(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    private async Task<JsonDocument> SendMonitoringAsync(
        HttpMethod method, string path, Query? query, byte[]? body, string? contentType, bool idempotent, CancellationToken ct)
    {
        using var request = NewRequest(method, new Uri(_baseUri, path + (query?.ToString() ?? "")), idempotent);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType ?? "application/json");
        }

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        return JsonDocument.Parse(bytes.Length == 0 ? "{}"u8.ToArray() : bytes);
    }
}

/// <summary>A deployment's alert thresholds and the state of each watched version's error rate and latency p99.</summary>
public sealed record DeploymentAlerts(AlertThresholds Thresholds, IReadOnlyList<AlertState> States);
