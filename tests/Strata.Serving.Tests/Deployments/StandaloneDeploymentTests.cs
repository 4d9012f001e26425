using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Serving.Deployments;
using Strata.Serving.Hosting;
using Strata.Serving.Tests.Serving;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Deployments;

/// <summary><c>strata models serve --deployment NAME</c>: one deployment in a serving process of its own.</summary>
[Collection(ServingCollection.Name)]
public sealed class StandaloneDeploymentTests(ServingFixture fixture)
{
    [Fact]
    public async Task A_standalone_server_follows_the_deployment_it_was_given()
    {
        await using var server = await DeploymentServer.StartAsync();
        var v1 = await server.RegisterAsync("houses", fixture.HousesPath);
        var v2 = await server.RegisterAsync("houses", fixture.HousesOnnxPath);
        await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new { name = "solo", route = new[] { new { model_name = "houses", version = v1, weight = 100 } } });
        await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new { name = "other", route = new[] { new { model_name = "houses", version = v1, weight = 100 } } });

        var options = server.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Strata.Server.Hosting.StrataServerOptions>>().Value;
        var app = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Port = 0,
                BackendStoreUri = options.BackendStoreUri,
                Deployment = "solo",
                Serving = new ServingOptions
                {
                    TrackingUri = server.Client.BaseAddress!.ToString(),
                    CacheDirectory = Path.Combine(fixture.Models.Root, "standalone-cache-" + Guid.NewGuid().ToString("N")),
                    DeploymentPollInterval = TimeSpan.FromMilliseconds(100),
                },
            },
            b => b.Logging.ClearProviders());
        try
        {
            // The deployment is loaded before the server starts listening.
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };
            foreach (var path in new[] { "/invocations", "/deployments/solo/invocations" })
            {
                using var response = await client.PostAsync(path, new StringContent(Split(fixture.Models.Houses.Take(2)), System.Text.Encoding.UTF8, "application/json"));
                Assert.Equal(200, (int)response.StatusCode);
                Assert.Equal(v1, response.Headers.GetValues(ServingRequestHandler.ModelVersionHeader).Single());
            }

            // Only the deployment it was given.
            using (var other = await client.PostAsync("/deployments/other/invocations", new StringContent(Split(fixture.Models.Houses.Take(1)), System.Text.Encoding.UTF8, "application/json")))
            {
                Assert.Equal(404, (int)other.StatusCode);
            }

            await server.SendAsync(HttpMethod.Patch, "/api/2.0/strata/deployments/solo", new { revision = 1, route = new[] { new { model_name = "houses", version = v2, weight = 100 } } });
            var routes = app.Services.GetRequiredService<DeploymentRouteTable>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (routes.Find("solo")?.Current?.Revision != 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the standalone server never picked up revision 2");
                await Task.Delay(25);
            }

            using var after = await client.PostAsync("/invocations", new StringContent(Split(fixture.Models.Houses.Take(2)), System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(v2, after.Headers.GetValues(ServingRequestHandler.ModelVersionHeader).Single());
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        // An unknown deployment stops the standalone server at start, as an unloadable model does.
        var missing = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Port = 0,
                BackendStoreUri = options.BackendStoreUri,
                Deployment = "nope",
                Serving = new ServingOptions { TrackingUri = server.Client.BaseAddress!.ToString() },
            },
            b => b.Logging.ClearProviders());
        try
        {
            var e = await Assert.ThrowsAsync<Strata.Core.Errors.MlflowException>(() => missing.StartAsync());
            Assert.Contains("'nope'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            await missing.DisposeAsync();
        }
    }
}
