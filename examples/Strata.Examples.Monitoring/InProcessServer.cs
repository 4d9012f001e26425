using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;

namespace Strata.Examples.Monitoring;

/// <summary>
/// A Strata server in this process on 127.0.0.1 (a free port) over a data folder: first for training and
/// registration, then started again on the same folder serving the registered model, as
/// <c>strata server --serve-model</c> would.
/// </summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessServer(WebApplication app, Uri uri)
    {
        _app = app;
        Uri = uri;
    }

    public Uri Uri { get; }

    public static async Task<InProcessServer> StartAsync(DirectoryInfo data, params string[] serveModels)
    {
        var options = new StrataServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(data.FullName, "strata.db"),
            ArtifactsDestination = Path.Combine(data.FullName, "artifacts"),
        };
        foreach (var model in serveModels)
        {
            options.ServeModels.Add(model);
        }

        var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
        await app.StartAsync();
        return new InProcessServer(app, new Uri(app.ListeningAddresses().First()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
