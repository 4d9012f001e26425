using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;
using Strata.Serving.Tests.Serving;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Deployments;

/// <summary>Deployments end to end in <c>strata server</c>: routing over HTTP, changes under load, the shadow, metrics.</summary>
[Collection(ServingCollection.Name)]
public sealed class DeploymentServingTests(ServingFixture fixture)
{
    private string Body(int rows = 3) => Split(fixture.Models.Houses.Take(rows));

    private static object Route(params (string Model, string Version, double Weight)[] legs) =>
        legs.Select(l => new { model_name = l.Model, version = l.Version, weight = l.Weight }).ToArray();

    [Fact]
    public async Task Traffic_splits_by_weight_every_answer_names_its_version_and_a_sticky_header_stays_on_one_version()
    {
        await using var server = await DeploymentServer.StartAsync();
        var v1 = await server.RegisterAsync("houses", fixture.HousesPath);
        var v2 = await server.RegisterAsync("houses", fixture.HousesOnnxPath);
        await server.SendAsync(HttpMethod.Post, "/api/2.0/mlflow/registered-models/alias", new { name = "houses", alias = "champion", version = v1 });
        await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new
        {
            name = "prices",
            route = new object[] { new { model_name = "houses", alias = "champion", weight = 50 }, new { model_name = "houses", version = v2, weight = 50 } },
            sticky_key = new { header = "x-customer" },
        });
        await server.WaitForRevisionAsync("prices", 1);

        var expected = fixture.ExpectedPrices(ServingFixture.Houses, 3);
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < 400; i++)
        {
            var (status, version, body) = await server.PredictAsync("/deployments/prices/invocations", Body());
            Assert.Equal(200, status);
            AssertClose(expected, Numbers(JsonDocument.Parse(body).RootElement.GetProperty("predictions")));
            counts[version!] = counts.GetValueOrDefault(version!) + 1;
        }

        // 400 fair coin flips: 5 standard deviations is ±50.
        Assert.Equal([v1, v2], counts.Keys.Order());
        Assert.InRange(counts[v1], 150, 250);
        var answered = new Dictionary<string, int>(counts);

        foreach (var customer in new[] { "alice", "bob", "carol", "dave" })
        {
            var versions = new HashSet<string>();
            for (var i = 0; i < 15; i++)
            {
                var (status, version, _) = await server.PredictAsync("/deployments/prices/invocations", Body(1), "x-customer", customer);
                Assert.Equal(200, status);
                versions.Add(version!);
                answered[version!]++;
            }

            Assert.Single(versions);
        }

        // The Open Inference Protocol per deployment, with a version pinned and unpinned.
        var (v2Status, v2Version, v2Body) = await server.PredictAsync($"/deployments/prices/v2/models/prices/versions/{v2}/infer", V2Houses(fixture.Models.Houses.Take(2)));
        Assert.Equal(200, v2Status);
        Assert.Equal(v2, v2Version);
        Assert.Equal(v2, JsonDocument.Parse(v2Body).RootElement.GetProperty("model_version").GetString());
        answered[v2]++;
        var unpinned = await server.PredictAsync("/deployments/prices/v2/models/prices/infer", V2Houses(fixture.Models.Houses.Take(2)));
        Assert.Equal(200, unpinned.Status);
        answered[unpinned.Version!]++;
        Assert.Equal(404, (await server.PredictAsync("/deployments/prices/v2/models/prices/versions/77/infer", V2Houses(fixture.Models.Houses.Take(2)))).Status);
        Assert.Equal(404, (await server.PredictAsync("/deployments/nope/invocations", Body())).Status);
        using var ready = await server.Client.GetAsync("/deployments/prices/v2/health/ready");
        Assert.Equal(200, (int)ready.StatusCode);

        // Every answer is in the service metrics, per version.
        await server.FlushMetricsAsync();
        var metrics = await server.SendAsync(HttpMethod.Get, "/api/2.0/strata/deployments/prices/metrics?bucket=minute");
        var totals = metrics.GetProperty("totals").EnumerateArray().ToDictionary(p => p.GetProperty("model_version").GetString()!);
        Assert.Equal(answered[v1], totals[v1].GetProperty("requests").GetInt64());
        Assert.Equal(answered[v2], totals[v2].GetProperty("requests").GetInt64());
        Assert.Equal(0, totals[v1].GetProperty("errors").GetInt64());
        Assert.True(totals[v1].GetProperty("latency_p99_ms").GetDouble() > 0);
        Assert.True(totals[v1].GetProperty("cpu_ms_per_1000_predictions").GetDouble() > 0);
        var hours = await server.SendAsync(HttpMethod.Get, "/api/2.0/strata/deployments/prices/metrics?bucket=hour");
        Assert.Equal(answered.Values.Sum(), hours.GetProperty("totals").EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64()));

        // And in Prometheus' metrics, which a strata server without --serve-model exposes too.
        var prometheus = await server.Client.GetStringAsync("/metrics");
        Assert.Contains("strata_serving_requests_total{", prometheus, StringComparison.Ordinal);
        Assert.Contains("\"houses\"", prometheus, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_route_change_and_a_rollback_under_load_fail_no_request()
    {
        await using var server = await DeploymentServer.StartAsync();
        var v1 = await server.RegisterAsync("houses", fixture.HousesPath);
        var v2 = await server.RegisterAsync("houses", fixture.HousesOnnxPath);
        await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new { name = "live", route = Route(("houses", v1, 100)) });
        await server.WaitForRevisionAsync("live", 1);

        var failures = new ConcurrentQueue<string>();
        var seen = new ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var body = Body(2);
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var sent = 0;
            while (!stop.IsCancellationRequested)
            {
                var (status, version, text) = await server.PredictAsync("/deployments/live/invocations", body);
                if (status != 200 || version is null)
                {
                    failures.Enqueue($"{status} {version}: {text}");
                }
                else
                {
                    seen.AddOrUpdate(version, 1, (_, n) => n + 1);
                }

                sent++;
            }

            return sent;
        })).ToList();

        async Task WaitForAnswersFromAsync(string version)
        {
            var before = seen.GetValueOrDefault(version);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (seen.GetValueOrDefault(version) < before + 20)
            {
                Assert.True(DateTime.UtcNow < deadline, $"version {version} never answered");
                await Task.Delay(10);
            }
        }

        await WaitForAnswersFromAsync(v1);
        await server.SendAsync(HttpMethod.Patch, "/api/2.0/strata/deployments/live", new { revision = 1, route = Route(("houses", v2, 100)) });
        await server.WaitForRevisionAsync("live", 2);
        await WaitForAnswersFromAsync(v2);
        await server.SendAsync(HttpMethod.Patch, "/api/2.0/strata/deployments/live", new { revision = 2, route = Route(("houses", v1, 50), ("houses", v2, 50)) });
        await server.WaitForRevisionAsync("live", 3);
        await WaitForAnswersFromAsync(v1);
        var rolledBack = await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments/live/rollback", new { to_revision = 2 });
        Assert.Equal(4, rolledBack.GetProperty("deployment").GetProperty("current_revision").GetInt64());
        await server.WaitForRevisionAsync("live", 4);
        var v1After = seen.GetValueOrDefault(v1);
        await WaitForAnswersFromAsync(v2);
        await Task.Delay(200);
        stop.Cancel();
        var total = (await Task.WhenAll(load)).Sum();

        Assert.Empty(failures);
        Assert.True(total > 100, $"only {total} requests were sent");
        // After the rollback to revision 2 (v2 only) settles, v1 answers at most the requests already in flight.
        Assert.InRange(seen.GetValueOrDefault(v1) - v1After, 0, 4);
    }

    [Fact]
    public async Task A_slow_shadow_gets_a_copy_of_each_request_is_logged_never_returned_and_never_holds_up_the_caller()
    {
        using var gate = new ManualResetEventSlim(false);
        await using var server = await DeploymentServer.StartAsync(
            services: s =>
            {
                foreach (var d in s.Where(d => d.ServiceType == typeof(ModelRuntimeLoader)).ToList())
                {
                    s.Remove(d);
                }

                s.AddSingleton(new ModelRuntimeLoader([new GatedLoader(gate), new OnnxFlavorLoader()]));
            },
            serving: o => o with { ShadowQueueCapacity = 4 });
        var v1 = await server.RegisterAsync("houses", fixture.HousesPath);
        var slow = await server.RegisterAsync("slowshadow", fixture.HousesPath);
        await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new
        {
            name = "mirrored",
            route = Route(("houses", v1, 100)),
            shadow = new { model_name = "slowshadow", version = slow },
        });
        await server.WaitForRevisionAsync("mirrored", 1);

        // The shadow's model call blocks until the gate opens; every caller is answered by the primary meanwhile.
        var expected = fixture.ExpectedPrices(ServingFixture.Houses, 2);
        for (var i = 0; i < 20; i++)
        {
            var (status, version, body) = await server.PredictAsync("/deployments/mirrored/invocations", Body(2));
            Assert.Equal(200, status);
            Assert.Equal(v1, version);
            AssertClose(expected, Numbers(JsonDocument.Parse(body).RootElement.GetProperty("predictions")));
        }

        Assert.Equal(0, server.Shadow.Completed);
        // Two copies are held by the blocked workers and four wait in the queue: the other fourteen were dropped and counted.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (server.Shadow.Mirrored + server.Shadow.Dropped < 20 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Equal(20, server.Shadow.Mirrored + server.Shadow.Dropped);
        Assert.InRange(server.Shadow.Dropped, 14, 16);

        gate.Set();
        deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement[] logged = [];
        while (DateTime.UtcNow < deadline)
        {
            var page = await server.SendAsync(HttpMethod.Get, "/api/2.0/strata/predictions?model=slowshadow");
            logged = page.GetProperty("predictions").EnumerateArray().ToArray();
            if (logged.Length >= server.Shadow.Mirrored && server.Shadow.Completed == server.Shadow.Mirrored)
            {
                break;
            }

            await Task.Delay(25);
        }

        Assert.Equal(server.Shadow.Mirrored, logged.Length);
        Assert.All(logged, e =>
        {
            Assert.Equal(slow, e.GetProperty("model_version").GetString());
            Assert.Equal(200, e.GetProperty("status_code").GetInt32());
            AssertClose(expected, Numbers(JsonDocument.Parse(e.GetProperty("outputs").GetString()!).RootElement.GetProperty("predictions")));
        });

        // The primary's answers were logged too, under the primary.
        var primary = await server.SendAsync(HttpMethod.Get, "/api/2.0/strata/predictions?model=houses&max_results=100");
        Assert.Equal(20, primary.GetProperty("predictions").GetArrayLength());

        await server.FlushMetricsAsync();
        var metrics = await server.SendAsync(HttpMethod.Get, "/api/2.0/strata/deployments/mirrored/metrics");
        var shadowTotals = metrics.GetProperty("totals").EnumerateArray().Single(p => p.GetProperty("shadow").GetBoolean());
        Assert.Equal("slowshadow", shadowTotals.GetProperty("model_name").GetString());
        Assert.Equal(server.Shadow.Mirrored, shadowTotals.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task A_sticky_column_routes_by_the_first_rows_value()
    {
        await using var server = await DeploymentServer.StartAsync();
        var v1 = await server.RegisterAsync("houses", fixture.HousesPath);
        var v2 = await server.RegisterAsync("houses", fixture.HousesOnnxPath);
        await server.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new
        {
            name = "by-rooms",
            route = Route(("houses", v1, 50), ("houses", v2, 50)),
            sticky_key = new { column = "Rooms" },
        });
        await server.WaitForRevisionAsync("by-rooms", 1);
        var byRooms = new Dictionary<float, HashSet<string>>();
        foreach (var house in fixture.Models.Houses.Take(60))
        {
            var (status, version, _) = await server.PredictAsync("/deployments/by-rooms/invocations", Split([house]));
            Assert.Equal(200, status);
            (byRooms.TryGetValue(house.Rooms, out var set) ? set : byRooms[house.Rooms] = []).Add(version!);
        }

        Assert.All(byRooms.Values, versions => Assert.Single(versions));
    }

    /// <summary>ML.NET models whose folder lies under a <c>slowshadow</c> cache folder wait for the gate before each call.</summary>
    private sealed class GatedLoader(ManualResetEventSlim gate) : IModelFlavorLoader
    {
        public string Flavor => MlnetFlavor.Name;

        public IModelRuntime Load(string folder, MlModel model)
        {
            var runtime = MlnetFlavor.Load(folder, model);
            return folder.Contains($"{Path.DirectorySeparatorChar}slowshadow{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                ? new HookedRuntime(runtime, () => gate.Wait(TimeSpan.FromSeconds(60)))
                : runtime;
        }
    }
}
