using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Strata.Client.Http;
using Strata.Client.Wire;
using Strata.Core.Errors;

namespace Strata.Client;

/// <summary>
/// A typed async client of the Strata (MLflow-compatible) REST API: tracking, logged models, registry and the
/// artifact proxy; plus fluent runs (<see cref="StartRunAsync"/>, <see cref="RunAsync"/>).
/// Thread-safe. Create it with <see cref="Create"/> / <see cref="FromEnvironment"/>, or through DI with
/// <c>services.AddStrataClient(...)</c>.
/// </summary>
public sealed partial class StrataClient : IDisposable
{
    internal const string ApiPrefix = "api/2.0/mlflow/";
    internal const string ArtifactsPrefix = "api/2.0/mlflow-artifacts/artifacts";

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Uri _baseUri;
    private readonly AuthenticationHeaderValue? _authorization;

    /// <summary>For <c>IHttpClientFactory</c> typed-client activation (the factory's handler carries the retries).</summary>
    [ActivatorUtilitiesConstructor]
    public StrataClient(HttpClient http, IOptions<StrataClientOptions> options, ILogger<StrataClient>? logger = null)
        : this(http, options.Value, logger, ownsHttp: false)
    {
    }

    /// <summary>Uses <paramref name="http"/> as given: add <see cref="StrataRetryPolicy.CreatePipeline"/> to its handlers for retries.</summary>
    public StrataClient(HttpClient http, StrataClientOptions options, ILogger? logger = null)
        : this(http, options, logger, ownsHttp: false)
    {
    }

    private StrataClient(HttpClient http, StrataClientOptions options, ILogger? logger, bool ownsHttp)
    {
        _http = http;
        _ownsHttp = ownsHttp;
        Options = options;
        Logger = logger ?? NullLogger.Instance;
        var uri = options.RequireTrackingUri();
        _baseUri = uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        _authorization = CreateAuthorization(options);
    }

    /// <summary>A client that owns its connection pool and retry handler.</summary>
    public static StrataClient Create(StrataClientOptions options, ILogger? logger = null)
    {
        var handler = new ResilienceHandler(StrataRetryPolicy.CreatePipeline(options))
        {
            InnerHandler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) },
        };
        var http = new HttpClient(handler, disposeHandler: true);
        ConfigureHttpClient(http, options);
        return new StrataClient(http, options, logger, ownsHttp: true);
    }

    /// <summary>A client configured from STRATA_TRACKING_URI / MLFLOW_TRACKING_* variables.</summary>
    public static StrataClient FromEnvironment(Action<StrataClientOptions>? configure = null, ILogger? logger = null)
    {
        var options = StrataClientOptions.FromEnvironment();
        configure?.Invoke(options);
        return Create(options, logger);
    }

    public StrataClientOptions Options { get; }

    public Uri TrackingUri => _baseUri;

    internal ILogger Logger { get; }

    internal static void ConfigureHttpClient(HttpClient http, StrataClientOptions options)
    {
        // Per-attempt timeouts live in the resilience pipeline, so retries are not cut short by a global
        // timeout and streamed transfers can run as long as bytes keep flowing.
        http.Timeout = Timeout.InfiniteTimeSpan;
        http.DefaultRequestHeaders.UserAgent.ParseAdd("strata-dotnet/0.1");
    }

    private static AuthenticationHeaderValue? CreateAuthorization(StrataClientOptions options)
    {
        if (!string.IsNullOrEmpty(options.Token))
        {
            return new AuthenticationHeaderValue("Bearer", options.Token);
        }
        if (!string.IsNullOrEmpty(options.Username))
        {
            var raw = Encoding.UTF8.GetBytes($"{options.Username}:{options.Password ?? ""}");
            return new AuthenticationHeaderValue("Basic", Convert.ToBase64String(raw));
        }
        return null;
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal Uri ApiUri(string path, Query? query = null) =>
        new(_baseUri, ApiPrefix + path + (query?.ToString() ?? ""));

    internal HttpRequestMessage NewRequest(HttpMethod method, Uri uri, bool idempotent)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = _authorization;
        StrataRetryPolicy.MarkIdempotent(request, idempotent);
        return request;
    }

    internal Task<T> GetAsync<T>(string path, Query query, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Get, path, query, body: null, idempotent: true, ct);

    internal Task<T> PostAsync<T>(string path, object body, bool idempotent, CancellationToken ct) =>
        SendAsync<T>(HttpMethod.Post, path, null, body, idempotent, ct);

    internal Task<T> SendAsync<T>(HttpMethod method, string path, Query? query, object? body, bool idempotent, CancellationToken ct)
    {
        // Serialized to bytes up front: the retry handler may send the same content more than once.
        var bytes = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), WireJson.Options);
        return SendJsonBytesAsync<T>(method, path, query, bytes, idempotent, ct);
    }

    internal async Task<T> SendJsonBytesAsync<T>(
        HttpMethod method, string path, Query? query, byte[]? body, bool idempotent, CancellationToken ct)
    {
        using var request = NewRequest(method, ApiUri(path, query), idempotent);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return await ReadJsonAsync<T>(response, ct).ConfigureAwait(false);
    }

    internal Task<HttpResponseMessage> SendRawAsync(HttpRequestMessage request, CancellationToken ct) =>
        _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);

    internal static async Task<T> ReadJsonAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (bytes.Length == 0)
        {
            bytes = "{}"u8.ToArray();
        }
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, WireJson.Options)
                ?? throw new JsonException("The response body is JSON null.");
        }
        catch (JsonException ex)
        {
            throw new StrataApiException(
                ErrorCode.INTERNAL_ERROR,
                response.StatusCode,
                $"The server's response to {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath} is not the expected JSON: {ex.Message}");
        }
    }

    internal static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            text = "";
        }
        throw ToException(response.StatusCode, text, response.RequestMessage);
    }

    internal static StrataApiException ToException(HttpStatusCode status, string body, HttpRequestMessage? request)
    {
        ErrorResponse? error = null;
        try
        {
            if (body.TrimStart().StartsWith('{'))
            {
                error = JsonSerializer.Deserialize<ErrorResponse>(body, WireJson.Options);
            }
        }
        catch (JsonException)
        {
        }
        var code = error?.ErrorCode is { } name && Enum.TryParse<ErrorCode>(name, ignoreCase: false, out var parsed) && !int.TryParse(name, out _)
            ? parsed
            : StrataApiException.CodeForStatus(status);
        var message = error?.Message
            ?? (string.IsNullOrWhiteSpace(body)
                ? $"{(int)status} {status} from {request?.Method} {request?.RequestUri?.AbsolutePath}"
                : $"{(int)status} {status} from {request?.Method} {request?.RequestUri?.AbsolutePath}: {Truncate(body, 500)}");
        return new StrataApiException(code, status, message, error?.ErrorCode);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "...";
}
