using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Serving.Hosting;

namespace Strata.Serving.Tests.Serving;

/// <summary>A real <c>strata models serve</c> host: Kestrel on 127.0.0.1 port 0, a temp SQLite prediction log, removed on dispose.</summary>
public sealed class ServingTestHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServingTestHost(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
        Client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public string Directory { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ServingTestHost> StartAsync(
        ServingOptions serving, bool predictionLog = true, Action<WebApplicationBuilder>? configure = null)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strata-serving-").FullName;
        var app = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Host = "127.0.0.1",
                Port = 0,
                BackendStoreUri = predictionLog ? "sqlite:///" + Path.Combine(directory, "strata.db") : null,
                Serving = serving with { CacheDirectory = Path.Combine(directory, "cache") },
            },
            builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                configure?.Invoke(builder);
            });
        await app.StartAsync();
        return new ServingTestHost(app, directory);
    }

    public T Get<T>()
        where T : notnull => _app.Services.GetRequiredService<T>();

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, string contentType = "application/json") =>
        PostAsync(path, json, contentType);

    public Task<HttpResponseMessage> PostAsync(string path, string body, string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return Client.PostAsync(path, content);
    }

    /// <summary>Posts and returns the status with the parsed JSON body (or the raw text for non-JSON answers).</summary>
    public async Task<(int Status, JsonElement Body, string Text)> CallAsync(string path, string body, string? contentType = "application/json")
    {
        using var response = await PostAsync(path, body, contentType);
        var text = await response.Content.ReadAsStringAsync();
        JsonElement json = default;
        if (response.Content.Headers.ContentType?.MediaType == "application/json" && text.Length > 0)
        {
            json = JsonDocument.Parse(text).RootElement.Clone();
        }

        return ((int)response.StatusCode, json, text);
    }

    public async Task<(int Status, JsonElement Body)> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
