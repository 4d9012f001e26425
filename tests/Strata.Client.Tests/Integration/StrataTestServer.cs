using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;

namespace Strata.Client.Tests.Integration;

/// <summary>
/// A real Strata server in-process: Kestrel on 127.0.0.1 (a free port unless one is given) over a SQLite
/// database and an artifact directory in <see cref="DataDirectory"/>. Stopping and starting again on the same
/// port and directory is a server restart.
/// </summary>
public sealed class StrataTestServer : IAsyncDisposable
{
    private WebApplication? _app;

    private readonly Action<StrataServerOptions>? _configure;

    private StrataTestServer(string dataDirectory, bool ownsDirectory, Action<StrataServerOptions>? configure)
    {
        _configure = configure;
        DataDirectory = dataDirectory;
        OwnsDirectory = ownsDirectory;
    }

    public string DataDirectory { get; }

    private bool OwnsDirectory { get; }

    public int Port { get; private set; }

    public Uri Uri => new($"http://127.0.0.1:{Port}");

    public static async Task<StrataTestServer> StartAsync(
        string? dataDirectory = null, int port = 0, Action<StrataServerOptions>? configure = null)
    {
        var server = new StrataTestServer(
            dataDirectory ?? Directory.CreateTempSubdirectory("strata-client-it-").FullName, ownsDirectory: dataDirectory is null, configure);
        try
        {
            await server.StartAsync(port);
        }
        catch
        {
            await server.DisposeAsync(); // removes the temp directory of a server that never started
            throw;
        }
        return server;
    }

    public async Task StartAsync(int port)
    {
        var options = new StrataServerOptions
        {
            Host = "127.0.0.1",
            Port = port,
            BackendStoreUri = "sqlite:///" + Path.Combine(DataDirectory, "strata.db"),
            ArtifactsDestination = Path.Combine(DataDirectory, "artifacts"),
        };
        _configure?.Invoke(options);
        _app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
        await _app.StartAsync();
        var address = _app.ListeningAddresses().First();
        Port = new Uri(address).Port;
    }

    /// <summary>Stops Kestrel and closes the database; <see cref="StartAsync(int)"/> brings it back.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public StrataClient CreateClient(Action<StrataClientOptions>? configure = null) =>
        StrataClient.Create(Support.TestOptions.Fast(Uri, configure));

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (OwnsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
