using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;

namespace Strata.Server.Tests.Infrastructure;

/// <summary>
/// A real Strata server for HTTP-level tests: Kestrel on 127.0.0.1 with a free port, a fresh
/// SQLite database and artifact folder in a temp directory, all removed on dispose.
/// Reuse it for any API: <c>await using var server = await StrataTestServer.StartAsync();</c>,
/// or share one per test class through <see cref="StrataServerFixture"/>.
/// </summary>
public sealed class StrataTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private StrataTestServer(WebApplication app, StrataServerOptions options, string directory, Uri baseAddress)
    {
        _app = app;
        Options = options;
        DataDirectory = directory;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public Uri BaseAddress { get; }

    public StrataServerOptions Options { get; }

    /// <summary>The temp directory holding the database (<c>strata.db</c>) and <c>artifacts/</c>.</summary>
    public string DataDirectory { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<StrataTestServer> StartAsync(
        Action<StrataServerOptions>? configure = null, Action<WebApplicationBuilder>? configureBuilder = null)
    {
        var directory = Directory.CreateTempSubdirectory("strata-test-").FullName;
        var options = new StrataServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"),
            ArtifactsDestination = Path.Combine(directory, "artifacts"),
        };
        configure?.Invoke(options);
        try
        {
            var app = await StrataServer.BuildAsync(options, configure: builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                configureBuilder?.Invoke(builder);
            });
            await app.StartAsync();
            var address = app.ListeningAddresses().First();
            return new StrataTestServer(app, options, directory, new Uri(address));
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        TryDelete(DataDirectory);
    }

    /// <summary>POSTs a raw body (JSON by default) and returns the status and parsed body.</summary>
    public Task<ApiResponse> PostAsync(string path, string body, string? contentType = "application/json") =>
        SendAsync(HttpMethod.Post, path, body, contentType);

    public Task<ApiResponse> PostAsync(string path, object body) =>
        SendAsync(HttpMethod.Post, path, JsonSerializer.Serialize(body), "application/json");

    public Task<ApiResponse> PatchAsync(string path, object body) =>
        SendAsync(HttpMethod.Patch, path, JsonSerializer.Serialize(body), "application/json");

    public Task<ApiResponse> DeleteAsync(string path, object? body = null) =>
        SendAsync(HttpMethod.Delete, path, body is null ? null : JsonSerializer.Serialize(body), "application/json");

    public Task<ApiResponse> GetAsync(string pathAndQuery) => SendAsync(HttpMethod.Get, pathAndQuery, null, null);

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? body, string? contentType)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await Client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A response: status, media type, raw text and (when JSON) the parsed body.</summary>
public sealed record ApiResponse(HttpStatusCode Status, string? MediaType, string Text)
{
    private JsonElement? _json;

    public JsonElement Json => _json ??= JsonDocument.Parse(Text).RootElement.Clone();

    public string? ErrorCode => Json.TryGetProperty("error_code", out var code) ? code.GetString() : null;

    /// <summary>Asserts 200 and returns the JSON body.</summary>
    public JsonElement Ok()
    {
        Assert.True(Status == HttpStatusCode.OK, $"Expected 200, got {(int)Status}: {Text}");
        return Json;
    }

    /// <summary>Asserts an MLflow error with this status and code.</summary>
    public ApiResponse IsError(HttpStatusCode status, string errorCode)
    {
        Assert.True(Status == status, $"Expected {(int)status}, got {(int)Status}: {Text}");
        Assert.Equal("application/json", MediaType);
        Assert.Equal(errorCode, ErrorCode);
        Assert.False(string.IsNullOrEmpty(Json.GetProperty("message").GetString()));
        Assert.DoesNotContain("   at ", Text, StringComparison.Ordinal);
        return this;
    }
}

/// <summary>One server per test class (xunit class fixture).</summary>
public sealed class StrataServerFixture : IAsyncLifetime
{
    public StrataTestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await StrataTestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
