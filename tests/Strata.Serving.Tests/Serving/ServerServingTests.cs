using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;
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
}
