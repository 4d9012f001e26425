using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Strata.Storage.Tests.Postgres;

namespace Strata.Cli.Tests.Postgres;

/// <summary>
/// Three <c>strata server</c> processes on one PostgreSQL database, started together against an empty
/// database: writes go through every replica at once and each is read back through a different one.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class MultiReplicaTests(ReplicaSet replicas) : IClassFixture<ReplicaSet>
{
    private const int Replicas = ReplicaSet.Count;
    private readonly IReadOnlyList<HttpClient> _clients = replicas.Clients;

    [Fact]
    public async Task Every_replica_is_healthy_and_sees_one_default_experiment()
    {
        foreach (var client in _clients)
        {
            Assert.Equal("OK", await client.GetStringAsync("/health"));
            var exp = await GetAsync(client, "experiments/get?experiment_id=0");
            Assert.Equal("Default", (string?)exp["experiment"]!["name"]);
        }
    }

    [Fact]
    public async Task Concurrent_writes_through_all_replicas_read_back_through_others()
    {
        var experimentId = (string)(await PostAsync(_clients[0], "experiments/create", new { name = "replicas-" + Guid.NewGuid().ToString("N") }))["experiment_id"]!;
        const int workers = 9;
        const int batches = 5;
        var runIds = new ConcurrentBag<string>();

        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => Task.Run(async () =>
        {
            var writer = _clients[w % Replicas];
            var reader = _clients[(w + 1) % Replicas];
            var created = await PostAsync(writer, "runs/create", new { experiment_id = experimentId, start_time = 1000 + w, run_name = $"worker-{w}" });
            var runId = (string)created["run"]!["info"]!["run_id"]!;
            runIds.Add(runId);

            for (var b = 0; b < batches; b++)
            {
                // Each batch through the next replica, read back through the one after it.
                var via = _clients[(w + b) % Replicas];
                var back = _clients[(w + b + 1) % Replicas];
                await PostAsync(via, "runs/log-batch", new
                {
                    run_id = runId,
                    metrics = new[] { new { key = "loss", value = 1.0 / (b + 1), timestamp = 2000L + b, step = (long)b } },
                    @params = new[] { new { key = $"p{b}", value = $"w{w}-b{b}" } },
                    tags = new[] { new { key = "batch", value = b.ToString(CultureInfo.InvariantCulture) } },
                });

                var run = (await GetAsync(back, $"runs/get?run_id={runId}"))["run"]!;
                Assert.Equal($"w{w}-b{b}", Value(run["data"]!["params"], $"p{b}"));
                Assert.Equal(b.ToString(CultureInfo.InvariantCulture), Value(run["data"]!["tags"], "batch"));
                var loss = run["data"]!["metrics"]!.AsArray().Single(m => (string?)m!["key"] == "loss")!;
                Assert.Equal((long)b, (long)loss["step"]!);
            }

            var history = (await GetAsync(reader, $"metrics/get-history?run_id={runId}&metric_key=loss"))["metrics"]!.AsArray();
            Assert.Equal(Enumerable.Range(0, batches).Select(i => (long)i), history.Select(m => (long)m!["step"]!).Order());
        })));

        // Every replica lists every run of the experiment.
        foreach (var client in _clients)
        {
            var found = (await PostAsync(client, "runs/search", new { experiment_ids = new[] { experimentId }, max_results = 1000 }))["runs"]!.AsArray();
            Assert.Equal(runIds.Order(), found.Select(r => (string)r!["info"]!["run_id"]!).Order());
        }
    }

    [Fact]
    public async Task One_name_created_through_every_replica_at_once_exists_once()
    {
        var name = "contested-" + Guid.NewGuid().ToString("N");
        var responses = await Task.WhenAll(Enumerable.Range(0, Replicas * 3).Select(i =>
            _clients[i % Replicas].PostAsJsonAsync("/api/2.0/mlflow/experiments/create", new { name })));

        Assert.Single(responses, r => r.IsSuccessStatusCode);
        foreach (var failed in responses.Where(r => !r.IsSuccessStatusCode))
        {
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
            Assert.Equal("RESOURCE_ALREADY_EXISTS", (string?)JsonNode.Parse(await failed.Content.ReadAsStringAsync())!["error_code"]);
        }
    }

    [Fact]
    public async Task Model_versions_created_through_every_replica_are_numbered_once_without_gaps()
    {
        var name = "model-" + Guid.NewGuid().ToString("N");
        await PostAsync(_clients[0], "registered-models/create", new { name });
        const int versions = 30;

        var created = await Task.WhenAll(Enumerable.Range(0, versions).Select(i => Task.Run(async () =>
        {
            var version = (string)(await PostAsync(_clients[i % Replicas], "model-versions/create", new { name, source = $"s3://bucket/models/{i}" }))["model_version"]!["version"]!;

            // Read back, and point an alias at it, through the other replicas.
            var read = await GetAsync(_clients[(i + 1) % Replicas], $"model-versions/get?name={name}&version={version}");
            Assert.Equal($"s3://bucket/models/{i}", (string?)read["model_version"]!["source"]);
            await PostAsync(_clients[(i + 2) % Replicas], "registered-models/alias", new { name, alias = $"a{i}", version });
            return long.Parse(version, CultureInfo.InvariantCulture);
        })));

        Assert.Equal(Enumerable.Range(1, versions).Select(v => (long)v), created.Order());
        for (var i = 0; i < versions; i++)
        {
            var byAlias = await GetAsync(_clients[i % Replicas], $"registered-models/alias?name={name}&alias=a{i}");
            Assert.Equal($"s3://bucket/models/{i}", (string?)byAlias["model_version"]!["source"]);
        }

        var model = (await GetAsync(_clients[1], $"registered-models/get?name={name}"))["registered_model"]!;
        Assert.Equal(versions, model["aliases"]!.AsArray().Count);
    }

    private static string? Value(JsonNode? pairs, string key) =>
        (string?)pairs!.AsArray().SingleOrDefault(p => (string?)p!["key"] == key)?["value"];

    private static async Task<JsonNode> PostAsync(HttpClient client, string path, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/2.0/mlflow/" + path, body);
        return await ReadAsync(response, path);
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string pathAndQuery)
    {
        using var response = await client.GetAsync("/api/2.0/mlflow/" + pathAndQuery);
        return await ReadAsync(response, pathAndQuery);
    }

    private static async Task<JsonNode> ReadAsync(HttpResponseMessage response, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{what}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}

/// <summary>The three servers, started once for the class (a class fixture may take the collection's cluster).</summary>
public sealed class ReplicaSet(PostgresCluster cluster) : IAsyncLifetime
{
    public const int Count = 3;
    private readonly List<CliProcess> _servers = [];
    private readonly List<HttpClient> _clients = [];
    private string _dir = "";

    public IReadOnlyList<HttpClient> Clients => _clients;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("strata-replicas-").FullName;
        var b = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync());
        var uri = $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}?application_name=strata-replica";

        // All start at once on the empty database: the migration lock decides who migrates.
        for (var i = 0; i < Count; i++)
        {
            _servers.Add(CliProcess.Start(
                ["server", "--host", "127.0.0.1", "--port", "0", "--artifacts-destination", Path.Combine(_dir, "artifacts")],
                new Dictionary<string, string> { ["STRATA_BACKEND_STORE_URI"] = uri }));
        }

        foreach (var server in _servers)
        {
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            _clients.Add(new HttpClient { BaseAddress = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim()) });
        }
    }

    public async Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        foreach (var server in _servers)
        {
            server.Signal("TERM");
        }

        foreach (var server in _servers)
        {
            try
            {
                await server.WaitForExitAsync(TimeSpan.FromSeconds(20));
            }
            finally
            {
                server.Dispose();
            }
        }

        Directory.Delete(_dir, recursive: true);
    }
}
