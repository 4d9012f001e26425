using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;
using Strata.Serving.Deployments;
using Strata.Serving.Hosting;

namespace Strata.Serving.Tests.Deployments;

/// <summary>
/// A real <c>strata server</c> (tracking, registry, artifact proxy and deployment serving in one process) on a free
/// port, with fast deployment polling; helpers register model folders as versions and drive the deployments API.
/// </summary>
internal sealed class DeploymentServer : IAsyncDisposable
{
    private readonly string? _ownedDirectory;

    private DeploymentServer(WebApplication app, string? ownedDirectory)
    {
        App = app;
        _ownedDirectory = ownedDirectory;
        Client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public ShadowMirror Shadow => App.Services.GetRequiredService<ShadowMirror>();

    /// <summary>Starts a server; with no <paramref name="backendUri"/>, on SQLite in a fresh temp folder removed at dispose.</summary>
    public static async Task<DeploymentServer> StartAsync(
        string? backendUri = null, string? artifacts = null, Action<IServiceCollection>? services = null, Func<ServingOptions, ServingOptions>? serving = null)
    {
        string? owned = null;
        if (backendUri is null)
        {
            owned = Directory.CreateTempSubdirectory("strata-deploy-").FullName;
            backendUri = "sqlite:///" + Path.Combine(owned, "strata.db");
            artifacts = Path.Combine(owned, "artifacts");
        }

        var options = new StrataServerOptions
        {
            Port = 0,
            BackendStoreUri = backendUri,
            ArtifactsDestination = artifacts!,
            Serving = (serving ?? (s => s))(new ServingOptions
            {
                DeploymentPollInterval = TimeSpan.FromMilliseconds(100),
                MetricsFlushInterval = TimeSpan.FromMinutes(10),
            }),
        };
        var app = await StrataServer.BuildAsync(options, configure: b =>
        {
            b.Logging.ClearProviders();
            services?.Invoke(b.Services);
        });
        await app.StartAsync();
        return new DeploymentServer(app, owned);
    }

    /// <summary>Uploads the folder through the artifact proxy and registers it as the model's next version; returns the version.</summary>
    public async Task<string> RegisterAsync(string model, string folder)
    {
        var prefix = $"registry/{model}/{Guid.NewGuid():N}";
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            using var put = await Client.PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{prefix}/{Path.GetFileName(file)}", new ByteArrayContent(await File.ReadAllBytesAsync(file)));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using (var get = await Client.GetAsync($"/api/2.0/mlflow/registered-models/get?name={model}"))
        {
            if (!get.IsSuccessStatusCode)
            {
                await SendAsync(HttpMethod.Post, "/api/2.0/mlflow/registered-models/create", new { name = model });
            }
        }

        var created = await SendAsync(HttpMethod.Post, "/api/2.0/mlflow/model-versions/create", new { name = model, source = "mlflow-artifacts:/" + prefix });
        return created.GetProperty("model_version").GetProperty("version").GetString()!;
    }

    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var response = await TrySendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text.Length == 0 ? "{}" : text).RootElement.Clone();
    }

    public Task<HttpResponseMessage> TrySendAsync(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string json ? new StringContent(json, Encoding.UTF8, "application/json") : JsonContent.Create(body);
        }

        return Client.SendAsync(request);
    }

    /// <summary>Waits until this process serves <paramref name="revision"/> of the deployment.</summary>
    public async Task WaitForRevisionAsync(string deployment, long revision)
    {
        var routes = App.Services.GetRequiredService<DeploymentRouteTable>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (routes.Find(deployment)?.Current?.Revision != revision)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Deployment {deployment} did not reach revision {revision}; at {routes.Find(deployment)?.Current?.Revision}.");
            await Task.Delay(25);
        }
    }

    public Task FlushMetricsAsync() => App.Services.GetRequiredService<ServiceMetricsCollector>().FlushAsync(default);

    /// <summary>POSTs a prediction; returns the status, the answering version and the body.</summary>
    public async Task<(int Status, string? Version, string Body)> PredictAsync(string path, string body, string? stickyHeader = null, string? stickyValue = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (stickyHeader is not null)
        {
            request.Headers.Add(stickyHeader, stickyValue);
        }

        using var response = await Client.SendAsync(request);
        return ((int)response.StatusCode,
            response.Headers.TryGetValues(ServingRequestHandler.ModelVersionHeader, out var v) ? v.Single() : null,
            await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (_ownedDirectory is not null)
        {
            try
            {
                Directory.Delete(_ownedDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
