using Microsoft.Extensions.Logging;
using Strata.Server;
using Microsoft.Extensions.DependencyInjection;
using Strata.Server.Hosting;
using Strata.Serving.Hosting;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

/// <summary><c>strata server --serve-model</c>: tracking and serving in one process.</summary>
[Collection(ServingCollection.Name)]
public sealed class ServerServingTests(ServingFixture fixture)
{
    [Fact]
    public async Task Served_models_are_mounted_under_serving_and_v2_and_their_predictions_logged()
    {
        var directory = Directory.CreateTempSubdirectory("strata-server-serving-").FullName;
        var options = new StrataServerOptions
        {
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"),
            ArtifactsDestination = Path.Combine(directory, "artifacts"),
        };
        options.ServeModels.Add("weather=" + fixture.HousesPath);
        options.ServeModels.Add("weather-onnx=" + fixture.HousesOnnxPath);
        var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
        try
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while ((int)(await client.GetAsync("/v2/health/ready")).StatusCode != 200 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            foreach (var (name, model) in new[] { ("weather", ServingFixture.Houses), ("weather-onnx", ServingFixture.HousesOnnx) })
            {
                using var ping = await client.GetAsync($"/serving/{name}/ping");
                Assert.Equal(200, (int)ping.StatusCode);
                using var response = await client.PostAsync($"/serving/{name}/invocations",
                    new StringContent(Split(fixture.Models.Houses.Take(3)), System.Text.Encoding.UTF8, "application/json"));
                var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(200, (int)response.StatusCode);
                AssertClose(fixture.ExpectedPrices(model, 3), Numbers(json.GetProperty("predictions")));

                using var v2 = await client.PostAsync($"/v2/models/{name}/infer",
                    new StringContent(V2Houses(fixture.Models.Houses.Take(3)), System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(200, (int)v2.StatusCode);
            }

            // The tracking API is still there beside serving.
            using var experiments = await client.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0");
            Assert.Equal(200, (int)experiments.StatusCode);

            var logged = 0;
            deadline = DateTime.UtcNow.AddSeconds(10);
            while (logged < 2 && DateTime.UtcNow < deadline)
            {
                var page = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/api/2.0/strata/predictions?model=weather")).RootElement;
                logged = page.GetProperty("predictions").GetArrayLength();
                await Task.Delay(20);
            }

            Assert.Equal(2, logged);
            var metrics = await client.GetStringAsync("/metrics");
            Assert.Contains("strata_serving_requests_total{model=\"weather\"", metrics, StringComparison.Ordinal);
            Assert.Contains("strata_serving_request_duration_seconds_bucket", metrics, StringComparison.Ordinal);
            Assert.Contains("strata_serving_batch_size_bucket", metrics, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task All_in_one_serves_an_alias_from_its_own_registry_and_follows_it_when_it_moves()
    {
        var directory = Directory.CreateTempSubdirectory("strata-server-alias-").FullName;
        var options = new StrataServerOptions
        {
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"),
            ArtifactsDestination = Path.Combine(directory, "artifacts"),
        };
        options.ServeModels.Add("weather=models:/weather@champion");
        var app = await StrataServer.BuildAsync(options, configure: b =>
        {
            b.Logging.ClearProviders();
            var registered = b.Services.Single(d => d.ServiceType == typeof(ServingOptions));
            b.Services.Remove(registered);
            b.Services.AddSingleton(((ServingOptions)registered.ImplementationInstance!) with { PollInterval = TimeSpan.FromMilliseconds(200) });
        });
        try
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };
            Assert.Equal(503, (int)(await client.GetAsync("/v2/models/weather/ready")).StatusCode);

            // Version 1: the ML.NET model, version 2: its ONNX export, both uploaded through the artifact proxy.
            foreach (var (version, folder) in new[] { ("1", fixture.HousesPath), ("2", fixture.HousesOnnxPath) })
            {
                foreach (var file in Directory.EnumerateFiles(folder))
                {
                    using var put = await client.PutAsync(
                        $"/api/2.0/mlflow-artifacts/artifacts/registry/weather/{version}/{Path.GetFileName(file)}",
                        new ByteArrayContent(await File.ReadAllBytesAsync(file)));
                    Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
                }
            }

            await PostAsync(client, "registered-models/create", """{"name": "weather"}""");
            await PostAsync(client, "model-versions/create", """{"name": "weather", "source": "mlflow-artifacts:/registry/weather/1"}""");
            await PostAsync(client, "model-versions/create", """{"name": "weather", "source": "mlflow-artifacts:/registry/weather/2"}""");
            await PostAsync(client, "registered-models/alias", """{"name": "weather", "alias": "champion", "version": "1"}""");

            var v1 = await WaitForVersionAsync(client, "1");
            Assert.Equal("mlflow_mlnet", v1.GetProperty("platform").GetString());
            await AssertPredictsAsync(client, ServingFixture.Houses);

            await PostAsync(client, "registered-models/alias", """{"name": "weather", "alias": "champion", "version": "2"}""");
            var v2 = await WaitForVersionAsync(client, "2");
            Assert.Equal("onnx_onnxv1", v2.GetProperty("platform").GetString());
            await AssertPredictsAsync(client, ServingFixture.HousesOnnx);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Metrics_is_one_route_with_and_without_served_models(bool serveModel)
    {
        var directory = Directory.CreateTempSubdirectory("strata-server-metrics-").FullName;
        var options = new StrataServerOptions
        {
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"),
            ArtifactsDestination = Path.Combine(directory, "artifacts"),
        };
        if (serveModel)
        {
            options.ServeModels.Add("weather=" + fixture.HousesPath);
        }

        var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
        try
        {
            await app.StartAsync();
            // Two endpoints on one pattern would make routing throw (a 500) on every request to it.
            var patterns = app.Services.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>()
                .SelectMany(source => source.Endpoints)
                .OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
                .Select(e => e.RoutePattern.RawText?.TrimStart('/'))
                .ToList();
            Assert.Equal(1, patterns.Count(p => p == "metrics"));

            // Deployments are served by every strata server, so the metrics are there either way.
            using var client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };
            using var metrics = await client.GetAsync("/metrics");
            Assert.Equal(200, (int)metrics.StatusCode);
            Assert.Equal("text/plain", metrics.Content.Headers.ContentType?.MediaType);
            Assert.Contains("strata_serving_requests_total", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);

            // The prediction log query is there either way; the v2 routes only with models.
            using var log = await client.GetAsync("/api/2.0/strata/predictions");
            Assert.Equal(200, (int)log.StatusCode);
            using var live = await client.GetAsync("/v2/health/live");
            Assert.Equal(serveModel ? 200 : 404, (int)live.StatusCode);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task PostAsync(HttpClient client, string path, string json)
    {
        using var response = await client.PostAsync("/api/2.0/mlflow/" + path, new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<System.Text.Json.JsonElement> WaitForVersionAsync(HttpClient client, string version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            using var response = await client.GetAsync("/v2/models/weather");
            if (response.IsSuccessStatusCode)
            {
                var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
                if (json.GetProperty("versions")[0].GetString() == version)
                {
                    return json;
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"version {version} was not loaded in time");
            await Task.Delay(50);
        }
    }

    private async Task AssertPredictsAsync(HttpClient client, string model)
    {
        using var response = await client.PostAsync("/serving/weather/invocations",
            new StringContent(Split(fixture.Models.Houses.Take(3)), System.Text.Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        AssertClose(fixture.ExpectedPrices(model, 3), Numbers(System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("predictions")));
    }
}
