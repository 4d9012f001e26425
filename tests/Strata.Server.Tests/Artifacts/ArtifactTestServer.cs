using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Core.Artifacts;
using Strata.Server.Artifacts;

namespace Strata.Tests.Artifacts;

/// <summary>
/// Real Kestrel on 127.0.0.1 with a port of its own choosing, mapping only the artifact endpoints
/// (their error filter gives MLflow's error bodies without the rest of the server).
/// </summary>
public sealed class ArtifactTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _inFlight;

    private ArtifactTestServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public IArtifactStore Store => _app.Services.GetRequiredService<IArtifactStore>();

    public IServiceProvider Services => _app.Services;

    public static async Task<ArtifactTestServer> StartAsync(Action<ArtifactsOptions> configure, IArtifactStore? store = null, Action<IServiceCollection>? services = null, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        if (store is not null)
        {
            builder.Services.AddSingleton(store);
        }

        builder.Services.AddStrataArtifacts(configure);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        ArtifactTestServer? server = null;
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref server!._inFlight);
            try
            {
                await next(context);
            }
            finally
            {
                Interlocked.Decrement(ref server!._inFlight);
            }
        });
        app.MapArtifactsApi();
        map?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new ArtifactTestServer(app, new Uri(address));
        return server;
    }

    /// <summary>Waits until the server has finished every request, e.g. one whose client vanished.</summary>
    public async Task WaitIdleAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref _inFlight) > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("server still busy");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A client that sends paths exactly as written (no dot-segment or escape normalisation).</summary>
    public async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string pathAndQuery, HttpContent? content = null)
    {
        var uri = new Uri(BaseAddress + pathAndQuery.TrimStart('/'), new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        return await Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
