using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using Strata.Storage.Tests.Postgres;

namespace Strata.Cli.Tests.Postgres;

/// <summary>
/// Scheduled jobs on real <c>strata server</c> processes sharing one PostgreSQL database: each scheduled occurrence
/// runs exactly once across three replicas, and an execution whose replica is killed (SIGKILL) ends failed.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class JobsReplicaTests(PostgresCluster cluster) : IAsyncLifetime
{
    private const string Jobs = "/api/2.0/strata/jobs";
    private readonly List<CliProcess> _servers = [];
    private readonly List<HttpClient> _clients = [];
    private string _dir = "";
    private string _connectionString = "";
    private string _uri = "";

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("strata-jobs-replicas-").FullName;
        _connectionString = await cluster.CreateDatabaseAsync();
        var b = new NpgsqlConnectionStringBuilder(_connectionString);
        _uri = $"postgresql://{b.Username}@{b.Host}:{b.Port}/{b.Database}?application_name=strata-jobs";
    }

    public Task DisposeAsync()
    {
        _clients.ForEach(c => c.Dispose());
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_scheduled_job_runs_each_occurrence_exactly_once_across_three_replicas()
    {
        await StartReplicasAsync(3, lease: "30s");
        var name = "every-2s-" + Guid.NewGuid().ToString("N")[..6];
        await SendAsync(_clients[0], HttpMethod.Post, Jobs, new
        {
            name, command = "/bin/sh", args = new[] { "-c", "echo \"$STRATA_SCHEDULED_TIME\"" }, schedule = "*/2 * * * * *",
            // Every occurrence must run, even one due while a slow replica still runs the previous (forbid would skip it).
            concurrency_policy = "allow",
        });

        var deadline = DateTime.UtcNow.AddSeconds(90);
        while ((await ExecutionsAsync(_clients[1], name)).Count(e => (string?)e["status"] == "succeeded") < 4)
        {
            Assert.True(DateTime.UtcNow < deadline, "four occurrences did not run");
            await Task.Delay(250);
        }

        await SendAsync(_clients[2], HttpMethod.Patch, $"{Jobs}/{name}", new { enabled = false });
        List<JsonNode> all;
        while ((all = await ExecutionsAsync(_clients[0], name)).Any(e => (string?)e["status"] is "queued" or "running"))
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), "executions did not finish");
            await Task.Delay(250);
        }

        Assert.All(all, e => Assert.True((string?)e["status"] == "succeeded", e.ToJsonString()));
        var times = all.Select(e => (long)e["scheduled_time"]!).ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.All(times, t => Assert.Equal(0, t % 2000));

        // Exactly once end to end: one tracking run and one job.finished event per occurrence, and each run's
        // output names its own occurrence.
        await using var db = new NpgsqlConnection(_connectionString);
        var runs = (await db.QueryAsync<string>("SELECT run_id FROM tags WHERE key = 'strata.job.name' AND value = @name", new { name })).ToList();
        Assert.Equal(all.Count, runs.Count);
        Assert.Equal(all.Count, await db.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM registry_events WHERE event_type = 'job.finished' AND model_name = @name", new { name }));
        foreach (var (e, i) in all.Select((e, i) => (e, i)))
        {
            var stdout = await _clients[i % _clients.Count].GetStringAsync($"{Jobs}/executions/{(string)e["execution_id"]!}/logs?stream=stdout");
            Assert.Equal($"{(long)e["scheduled_time"]!}\n", stdout);
        }
    }

    [Fact]
    public async Task An_execution_whose_replica_is_killed_ends_failed_on_another_replica()
    {
        await StartReplicasAsync(1, lease: "3s");
        var name = "long-" + Guid.NewGuid().ToString("N")[..6];
        await SendAsync(_clients[0], HttpMethod.Post, Jobs, new { name, command = "/bin/sh", args = new[] { "-c", "sleep 15" } });
        var execution = (await SendAsync(_clients[0], HttpMethod.Post, $"{Jobs}/{name}/run", new { }))["execution"]!;
        var id = (string)execution["execution_id"]!;
        var running = await WaitAsync(_clients[0], id, e => (string?)e["status"] == "running" && e["run_id"] is not null);
        Assert.Contains($"/{_servers[0].Id}/", (string?)running["replica"], StringComparison.Ordinal);

        await StartReplicasAsync(1, lease: "3s");
        _servers[0].Signal("KILL");
        await _servers[0].WaitForExitAsync(TimeSpan.FromSeconds(20));

        var failed = await WaitAsync(_clients[1], id, e => (string?)e["status"] != "running");
        Assert.Equal("failed", (string?)failed["status"]);
        Assert.Contains("lease", (string?)failed["error"], StringComparison.Ordinal);
        // The replica that fails the execution ends its run right after; poll rather than race it.
        var runDeadline = DateTime.UtcNow.AddSeconds(30);
        JsonNode run;
        while (true)
        {
            run = (await GetAsync(_clients[1], $"/api/2.0/mlflow/runs/get?run_id={(string)running["run_id"]!}"))["run"]!["info"]!;
            if ((string?)run["status"] != "RUNNING" || DateTime.UtcNow > runDeadline)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal("FAILED", (string?)run["status"]);

        await using var db = new NpgsqlConnection(_connectionString);
        var payload = JsonNode.Parse(await db.ExecuteScalarAsync<string>(
            "SELECT after_json FROM registry_events WHERE event_type = 'job.finished' AND model_name = @name", new { name }) ?? "null")!;
        Assert.Equal(id, (string?)payload["execution_id"]);
        Assert.Equal("failed", (string?)payload["status"]);
    }

    private async Task StartReplicasAsync(int count, string lease)
    {
        var started = new List<CliProcess>();
        for (var i = 0; i < count; i++)
        {
            var server = CliProcess.Start(
                ["server", "--host", "127.0.0.1", "--port", "0", "--artifacts-destination", Path.Combine(_dir, "artifacts")],
                new Dictionary<string, string> { ["STRATA_BACKEND_STORE_URI"] = _uri, ["STRATA_JOBS_LEASE"] = lease });
            _servers.Add(server);
            started.Add(server);
        }

        foreach (var server in started)
        {
            var line = await server.WaitForOutputAsync(l => l.Contains("listening on http://", StringComparison.Ordinal), TimeSpan.FromSeconds(90));
            _clients.Add(new HttpClient { BaseAddress = new Uri(line[line.IndexOf("http://", StringComparison.Ordinal)..].Trim()) });
        }
    }

    private static async Task<JsonNode> WaitAsync(HttpClient client, string id, Func<JsonNode, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var e = (await GetAsync(client, $"{Jobs}/executions/{id}"))["execution"]!;
            if (done(e))
            {
                return e;
            }

            Assert.True(DateTime.UtcNow < deadline, $"execution {id} never got there: {e.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    private static async Task<List<JsonNode>> ExecutionsAsync(HttpClient client, string name) =>
        (await GetAsync(client, $"{Jobs}/{name}/executions?max_results=1000"))["executions"]?.AsArray().Select(e => e!).ToList() ?? [];

    private static async Task<JsonNode> SendAsync(HttpClient client, HttpMethod method, string path, object body)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<JsonNode> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
