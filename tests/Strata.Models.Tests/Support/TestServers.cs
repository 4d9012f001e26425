using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Client;
using Strata.Server;
using Strata.Server.Hosting;
using Strata.Serving.Hosting;

namespace Strata.Models.Tests.Support;

/// <summary>A Strata tracking server in-process on 127.0.0.1 (free port), SQLite and artifacts in a temp folder removed after.</summary>
public sealed class TrackingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TrackingServer(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
        Uri = new Uri(app.ListeningAddresses().First());
    }

    public Uri Uri { get; }

    public string Directory { get; }

    public static async Task<TrackingServer> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strata-models-it-").FullName;
        var app = await StrataServer.BuildAsync(
            new StrataServerOptions
            {
                Host = "127.0.0.1",
                Port = 0,
                BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"),
                ArtifactsDestination = Path.Combine(directory, "artifacts"),
            },
            configure: b => b.Logging.ClearProviders());
        await app.StartAsync();
        return new TrackingServer(app, directory);
    }

    public StrataClient CreateClient() => StrataClient.Create(new StrataClientOptions { TrackingUri = Uri });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        TestFolders.TryDelete(Directory);
    }
}

/// <summary>A <c>strata models serve</c> host on 127.0.0.1 (free port) with a temp SQLite prediction log.</summary>
public sealed class ScoringServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ScoringServer(WebApplication app, string directory)
    {
        _app = app;
        Directory = directory;
        Client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    public string Directory { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ScoringServer> StartAsync(ServingOptions serving)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("strata-models-serve-").FullName;
        var app = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Host = "127.0.0.1",
                Port = 0,
                BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"),
                Serving = serving with { CacheDirectory = Path.Combine(directory, "cache") },
            },
            b => b.Logging.ClearProviders());
        await app.StartAsync();
        return new ScoringServer(app, directory);
    }

    /// <summary>Posts JSON and returns the status with the parsed body.</summary>
    public async Task<(int Status, JsonElement Body)> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length > 0 ? JsonDocument.Parse(text).RootElement.Clone() : default);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        TestFolders.TryDelete(Directory);
    }
}

public static class TestFolders
{
    public static void TryDelete(string folder)
    {
        try
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
