using Strata.Serving.Hosting;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

/// <summary>
/// A route whose model has not loaded (it loads in the background and its folder does not exist): every endpoint
/// answers with the status the spec gives for "not ready", in its protocol's error shape.
/// </summary>
[Collection(ServingCollection.Name)]
public sealed class NotLoadedTests(ServingFixture fixture)
{
    [Fact]
    public async Task Every_endpoint_says_not_ready_in_its_own_protocol()
    {
        var missing = Path.Combine(Path.GetTempPath(), "strata-missing-model-" + Guid.NewGuid().ToString("N"));
        await using var host = await ServingTestHost.StartAsync(
            new ServingOptions { Models = [new ServeModelSpec("ghost", missing)], LoadInBackground = true },
            predictionLog: false);

        foreach (var path in new[] { "/ping", "/health", "/serving/ghost/ping" })
        {
            using var ping = await host.Client.GetAsync(path);
            Assert.Equal(404, (int)ping.StatusCode);
            Assert.Equal("application/json", ping.Content.Headers.ContentType?.MediaType);
            Assert.Equal("\n", await ping.Content.ReadAsStringAsync());
        }

        var (status, json, text) = await host.CallAsync("/invocations", Split(fixture.Models.Houses.Take(1)));
        Assert.True(status == 503, text);
        Assert.Equal("TEMPORARILY_UNAVAILABLE", json.GetProperty("error_code").GetString());

        Assert.Equal(200, (await host.GetJsonAsync("/v2/health/live")).Status);
        var (readyStatus, ready) = await host.GetJsonAsync("/v2/health/ready");
        Assert.Equal(503, readyStatus);
        Assert.False(ready.GetProperty("ready").GetBoolean());
        foreach (var path in new[] { "/v2/models/ghost", "/v2/models/ghost/ready" })
        {
            var (modelStatus, error) = await host.GetJsonAsync(path);
            Assert.Equal(503, modelStatus);
            Assert.Contains("ghost", error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        var (inferStatus, inferError, inferText) = await host.CallAsync("/v2/models/ghost/infer", V2Houses(fixture.Models.Houses.Take(1)));
        Assert.True(inferStatus == 503, inferText);
        Assert.Contains("ghost", inferError.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
