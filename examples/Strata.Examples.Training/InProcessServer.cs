using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Client;
using Strata.Server;
using Strata.Server.Hosting;

namespace Strata.Examples.Training;

/// <summary>A throwaway Strata server for running the example without one: 127.0.0.1, a free port, temp storage.</summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly DirectoryInfo _data;

    private InProcessServer(WebApplication app, DirectoryInfo data, Uri uri)
    {
        _app = app;
        _data = data;
        Uri = uri;
    }

    public Uri Uri { get; }

    /// <summary>Null when STRATA_TRACKING_URI or MLFLOW_TRACKING_URI names a server to use instead.</summary>
    public static async Task<InProcessServer?> StartIfNoTrackingUriAsync()
    {
        if (StrataClientOptions.FromEnvironment().TrackingUri is not null)
        {
            return null;
        }
        var data = Directory.CreateTempSubdirectory("strata-example-");
        var app = await StrataServer.BuildAsync(
            new StrataServerOptions
            {
                Host = "127.0.0.1",
                Port = 0,
                BackendStoreUri = "sqlite:///" + Path.Combine(data.FullName, "strata.db"),
                ArtifactsDestination = Path.Combine(data.FullName, "artifacts"),
            },
            configure: b => b.Logging.ClearProviders()); // server errors reach the example as StrataApiException anyway
        await app.StartAsync();
        var uri = new Uri(app.ListeningAddresses().First());
        Console.WriteLine($"no tracking URI set: started an in-process Strata server at {uri} (data in {data.FullName})");
        return new InProcessServer(app, data, uri);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _data.Delete(recursive: true);
    }
}
