using System.Text.Json;
using Npgsql;
using Strata.Serving.Models;
using Strata.Storage.Tests.Postgres;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Deployments;

[CollectionDefinition(Name)]
public sealed class ServingPostgresCollection : ICollectionFixture<PostgresCluster>
{
    public const string Name = "serving-postgres";
}

/// <summary>Two <c>strata server</c> replicas on one PostgreSQL database serve one deployment; one of them restarts.</summary>
[Collection(ServingPostgresCollection.Name)]
public sealed class ReplicaMetricsTests(PostgresCluster cluster) : IDisposable
{
    private readonly TrainedModels _models = new();

    public void Dispose() => _models.Dispose();

    [Fact]
    public async Task Metrics_survive_a_restart_and_add_up_across_two_replicas()
    {
        var folder = _models.NewPath("houses");
        await MlnetFlavor.SaveAsync(folder, _models.Ml, _models.Regression, _models.HouseSchema);
        var b = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync());
        var uri = $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
        var artifacts = Path.Combine(_models.Root, "artifacts");
        var body = Split(_models.Houses.Take(2));

        var a = await DeploymentServer.StartAsync(uri, artifacts);
        await using var replicaB = await DeploymentServer.StartAsync(uri, artifacts);
        var version = await a.RegisterAsync("houses", folder);
        await a.SendAsync(HttpMethod.Post, "/api/2.0/strata/deployments", new
        {
            name = "shared",
            route = new[] { new { model_name = "houses", version, weight = 100 } },
        });

        // Each replica polls the database and picks the deployment up on its own.
        await a.WaitForRevisionAsync("shared", 1);
        await replicaB.WaitForRevisionAsync("shared", 1);
        for (var i = 0; i < 30; i++)
        {
            Assert.Equal(200, (await a.PredictAsync("/deployments/shared/invocations", body)).Status);
        }

        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(200, (await replicaB.PredictAsync("/deployments/shared/invocations", body)).Status);
        }

        // Stopping flushes what the replica holds; its replacement is a new replica writing rows of its own.
        await a.DisposeAsync();
        await using (var restarted = await DeploymentServer.StartAsync(uri, artifacts))
        {
            await restarted.WaitForRevisionAsync("shared", 1);
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(200, (await restarted.PredictAsync("/deployments/shared/invocations", body)).Status);
            }
        }

        await replicaB.FlushMetricsAsync();
        foreach (var bucket in new[] { "minute", "hour" })
        {
            var metrics = await replicaB.SendAsync(HttpMethod.Get, $"/api/2.0/strata/deployments/shared/metrics?bucket={bucket}");
            var total = Assert.Single(metrics.GetProperty("totals").EnumerateArray());
            Assert.Equal(60, total.GetProperty("requests").GetInt64());
            Assert.Equal(3, total.GetProperty("replicas").GetInt32());
            Assert.Equal(version, total.GetProperty("model_version").GetString());
            Assert.Equal(60, metrics.GetProperty("points").EnumerateArray().Sum(p => p.GetProperty("requests").GetInt64()));
        }
    }
}
