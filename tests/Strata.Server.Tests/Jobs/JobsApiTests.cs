using System.Net;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Strata.Server.Hosting;
using Strata.Server.Tests.Infrastructure;
using Strata.Storage.Database;

namespace Strata.Server.Tests.Jobs;

/// <summary>The jobs API over HTTP on SQLite, with real processes: runs, logs, exit codes, timeouts, cancels, schedules, events.</summary>
public sealed class JobsApiTests : IAsyncLifetime
{
    private const string Api = "/api/2.0/strata/jobs";
    private StrataTestServer _server = null!;

    private StrataTestServer Server => _server;

    public async Task InitializeAsync() => _server = await StrataTestServer.StartAsync(Fast);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    internal static void Fast(StrataServerOptions o)
    {
        o.Jobs.PollInterval = TimeSpan.FromMilliseconds(100);
        o.Jobs.HeartbeatInterval = TimeSpan.FromMilliseconds(100);
        o.Jobs.Lease = TimeSpan.FromSeconds(10);
    }

    private static string NewName() => "job-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<JsonElement> CreateAsync(object body) => (await Server.PostAsync(Api, body)).Ok().GetProperty("job");

    private async Task<JsonElement> RunAsync(string name) => (await Server.PostAsync($"{Api}/{name}/run", "{}")).Ok().GetProperty("execution");

    private async Task<JsonElement> ExecutionAsync(string id) => (await Server.GetAsync($"{Api}/executions/{id}")).Ok().GetProperty("execution");

    private async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> done, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var e = await ExecutionAsync(id);
            if (done(e))
            {
                return e;
            }

            Assert.True(DateTime.UtcNow < deadline, $"execution {id} never got there: {e}");
            await Task.Delay(50);
        }
    }

    private Task<JsonElement> WaitForEndAsync(string id) =>
        WaitForAsync(id, e => e.GetProperty("status").GetString() is not ("queued" or "running"));

    private async Task<string> LogAsync(string executionId, string stream)
    {
        var response = await Server.Client.GetAsync($"{Api}/executions/{executionId}/logs?stream={stream}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<List<(string Type, string Model, JsonElement Payload)>> FinishedEventsAsync()
    {
        var db = Server.Services.GetRequiredService<IDatabase>();
        var rows = await db.ReadAsync(
            async (c, ct) => (await c.QueryAsync<(string, string, string)>(new CommandDefinition(
                "SELECT event_type, model_name, after_json FROM registry_events WHERE event_type = 'job.finished' ORDER BY id", cancellationToken: ct))).ToList(),
            CancellationToken.None);
        return rows.Select(r => (r.Item1, r.Item2, JsonDocument.Parse(r.Item3).RootElement.Clone())).ToList();
    }

    [Fact]
    public async Task Create_get_list_update_delete()
    {
        var name = NewName();
        var created = await CreateAsync(new
        {
            name, command = "/bin/sh", args = new[] { "-c", "echo hi" }, env = new Dictionary<string, string> { ["A"] = "1" },
            timeout_seconds = 60, schedule = "0 3 * * *", timezone = "UTC", description = "nightly",
        });
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("/bin/sh", created.GetProperty("command").GetString());
        Assert.Equal(["-c", "echo hi"], created.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray());
        Assert.Equal("1", created.GetProperty("env").GetProperty("A").GetString());
        Assert.Equal(60, created.GetProperty("timeout_seconds").GetInt64());
        Assert.Equal("0", created.GetProperty("experiment_id").GetString());
        Assert.True(created.GetProperty("enabled").GetBoolean());
        var next = DateTimeOffset.FromUnixTimeMilliseconds(created.GetProperty("next_scheduled_time").GetInt64());
        Assert.Equal((3, 0, 0), (next.UtcDateTime.Hour, next.UtcDateTime.Minute, next.UtcDateTime.Second));

        Assert.Equal(name, (await Server.GetAsync($"{Api}/{name}")).Ok().GetProperty("job").GetProperty("name").GetString());
        var list = (await Server.GetAsync(Api + "?max_results=1000")).Ok();
        Assert.Contains(list.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("name").GetString() == name);

        var updated = (await Server.PatchAsync($"{Api}/{name}", new { schedule = "", timeout_seconds = 5, enabled = false })).Ok().GetProperty("job");
        Assert.False(updated.TryGetProperty("schedule", out _));
        Assert.False(updated.TryGetProperty("next_scheduled_time", out _));
        Assert.Equal(5, updated.GetProperty("timeout_seconds").GetInt64());
        Assert.False(updated.GetProperty("enabled").GetBoolean());
        Assert.Equal("echo hi", updated.GetProperty("args")[1].GetString());

        (await Server.DeleteAsync($"{Api}/{name}")).Ok();
        (await Server.GetAsync($"{Api}/{name}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync($"{Api}/{name}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Bad_input_is_a_400_naming_the_field()
    {
        var name = NewName();
        (await Server.PostAsync(Api, new { name, command = "x", schedule = "61 * * * *" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name, command = "x", schedule = "* * * * *", timezone = "Mars/Olympus" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name = "-bad", command = "x" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name, command = "x", timeout_seconds = -1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name, command = "x", env = new { A = 1 } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name, command = "x", env = new Dictionary<string, string> { ["1A"] = "x" } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name, command = "x", event_types = new[] { "Not An Event" } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name, command = "x", experiment_id = "987654" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var message = (await Server.PostAsync(Api, new { name, command = "x", schedule = "not cron" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE")
            .Json.GetProperty("message").GetString();
        Assert.Contains("'schedule'", message, StringComparison.Ordinal);

        await CreateAsync(new { name, command = "x" });
        (await Server.PostAsync(Api, new { name, command = "x" })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await Server.PatchAsync($"{Api}/{name}", new { name = "other" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Api}/no-such-job/run", "{}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}/executions/nope")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{Api}/executions/nope/cancel", "{}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task An_on_demand_run_is_a_tracked_run_with_its_output_exit_code_and_event()
    {
        var name = NewName();
        await CreateAsync(new
        {
            name, command = "/bin/sh",
            args = new[] { "-c", "echo \"run=$MLFLOW_RUN_ID job=$STRATA_JOB_NAME greeting=$GREETING\"; echo oops >&2; exit 3" },
            env = new Dictionary<string, string> { ["GREETING"] = "hello" },
        });
        var queued = await RunAsync(name);
        Assert.Equal("manual", queued.GetProperty("trigger").GetString());
        var id = queued.GetProperty("execution_id").GetString()!;

        var done = await WaitForEndAsync(id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal(3, done.GetProperty("exit_code").GetInt32());
        Assert.True(done.GetProperty("end_time").GetInt64() >= done.GetProperty("start_time").GetInt64());
        var runId = done.GetProperty("run_id").GetString()!;

        Assert.Equal($"run={runId} job={name} greeting=hello\n", await LogAsync(id, "stdout"));
        Assert.Equal("oops\n", await LogAsync(id, "stderr"));

        var run = (await Server.GetAsync($"/api/2.0/mlflow/runs/get?run_id={runId}")).Ok().GetProperty("run");
        Assert.Equal("FAILED", run.GetProperty("info").GetProperty("status").GetString());
        Assert.Equal(done.GetProperty("end_time").GetInt64(), run.GetProperty("info").GetProperty("end_time").GetInt64());
        var tags = run.GetProperty("data").GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("key").GetString()!, t => t.GetProperty("value").GetString());
        Assert.Equal(name, tags["strata.job.name"]);
        Assert.Equal(id, tags["strata.job.execution_id"]);
        Assert.Equal("3", tags["strata.job.exit_code"]);
        var artifacts = (await Server.GetAsync($"/api/2.0/mlflow/artifacts/list?run_id={runId}&path=logs")).Ok();
        Assert.Equal(["logs/stderr.txt", "logs/stdout.txt"], artifacts.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()!).Order().ToArray());

        var finished = Assert.Single(await FinishedEventsAsync(), e => e.Model == name);
        var payload = finished.Payload;
        Assert.Equal(name, payload.GetProperty("job_name").GetString());
        Assert.Equal(id, payload.GetProperty("execution_id").GetString());
        Assert.Equal(runId, payload.GetProperty("run_id").GetString());
        Assert.Equal("failed", payload.GetProperty("status").GetString());
        Assert.Equal(3, payload.GetProperty("exit_code").GetInt32());
        Assert.Equal("manual", payload.GetProperty("trigger").GetString());
        Assert.Equal(done.GetProperty("start_time").GetInt64(), payload.GetProperty("start_time_ms").GetInt64());
        Assert.Equal(done.GetProperty("end_time").GetInt64(), payload.GetProperty("end_time_ms").GetInt64());

        var executions = (await Server.GetAsync($"{Api}/{name}/executions")).Ok().GetProperty("executions");
        Assert.Equal(id, Assert.Single(executions.EnumerateArray()).GetProperty("execution_id").GetString());
    }

    [Fact]
    public async Task A_successful_run_finishes_its_run_and_a_large_output_is_kept_whole()
    {
        var name = NewName();
        // 4 MB of output: streamed to the artifact store, never held whole.
        await CreateAsync(new { name, command = "/bin/sh", args = new[] { "-c", "head -c 4194304 /dev/zero | tr '\\0' 'x'" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("succeeded", done.GetProperty("status").GetString());
        Assert.Equal(0, done.GetProperty("exit_code").GetInt32());
        var stdout = await LogAsync(id, "stdout");
        Assert.Equal(4194304, stdout.Length);
        Assert.All(stdout, c => Assert.Equal('x', c));
        var run = (await Server.GetAsync($"/api/2.0/mlflow/runs/get?run_id={done.GetProperty("run_id").GetString()}")).Ok().GetProperty("run");
        Assert.Equal("FINISHED", run.GetProperty("info").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_timeout_kills_the_process_tree()
    {
        var name = NewName();
        var marker = Path.Combine(Server.DataDirectory, name + ".alive");
        // The child outlives its parent's kill only if the tree is not killed: it would write the marker after 2 s.
        await CreateAsync(new { name, command = "/bin/sh", args = new[] { "-c", $"(sleep 2; touch '{marker}') & echo started; sleep 30" }, timeout_seconds = 1 });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("timed_out", done.GetProperty("status").GetString());
        Assert.Contains("timeout", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("started\n", await LogAsync(id, "stdout"));
        await Task.Delay(3000);
        Assert.False(File.Exists(marker), "a child process survived the timeout");
        var run = (await Server.GetAsync($"/api/2.0/mlflow/runs/get?run_id={done.GetProperty("run_id").GetString()}")).Ok().GetProperty("run");
        Assert.Equal("FAILED", run.GetProperty("info").GetProperty("status").GetString());
        Assert.Contains((await FinishedEventsAsync()).Where(e => e.Model == name), e => e.Payload.GetProperty("status").GetString() == "timed_out");
    }

    [Fact]
    public async Task Cancel_kills_a_running_execution()
    {
        var name = NewName();
        await CreateAsync(new { name, command = "/bin/sh", args = new[] { "-c", "echo waiting; sleep 60" } });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        await WaitForAsync(id, e => e.GetProperty("status").GetString() == "running" && e.TryGetProperty("run_id", out _));
        var asked = (await Server.PostAsync($"{Api}/executions/{id}/cancel", "{}")).Ok().GetProperty("execution");
        Assert.True(asked.GetProperty("cancel_requested").GetBoolean());
        var done = await WaitForEndAsync(id);
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        Assert.Equal("waiting\n", await LogAsync(id, "stdout"));
        var run = (await Server.GetAsync($"/api/2.0/mlflow/runs/get?run_id={done.GetProperty("run_id").GetString()}")).Ok().GetProperty("run");
        Assert.Equal("KILLED", run.GetProperty("info").GetProperty("status").GetString());

        // A finished execution stays as it ended.
        Assert.Equal("cancelled", (await Server.PostAsync($"{Api}/executions/{id}/cancel", "{}")).Ok().GetProperty("execution").GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_command_that_cannot_start_fails_with_the_reason()
    {
        var name = NewName();
        await CreateAsync(new { name, command = "/no/such/program" });
        var id = (await RunAsync(name)).GetProperty("execution_id").GetString()!;
        var done = await WaitForEndAsync(id);
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Contains("/no/such/program", done.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.False(done.TryGetProperty("exit_code", out _));
    }

    [Fact]
    public async Task A_seconds_cron_runs_each_occurrence_once()
    {
        var name = NewName();
        var created = await CreateAsync(new { name, command = "/bin/sh", args = new[] { "-c", "echo tick" }, schedule = "* * * * * *" });
        var createdAt = created.GetProperty("creation_timestamp").GetInt64();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<JsonElement> done;
        do
        {
            await Task.Delay(200);
            done = (await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions()
                .Where(e => e.GetProperty("status").GetString() == "succeeded").ToList();
            Assert.True(DateTime.UtcNow < deadline, "the schedule did not run three times");
        }
        while (done.Count < 3);

        (await Server.PatchAsync($"{Api}/{name}", new { enabled = false })).Ok();
        var all = (await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions().ToList();
        Assert.All(all, e => Assert.Equal("schedule", e.GetProperty("trigger").GetString()));
        var times = all.Select(e => e.GetProperty("scheduled_time").GetInt64()).ToList();
        Assert.Equal(times.Count, times.Distinct().Count());
        Assert.All(times, t => Assert.Equal(0, t % 1000));
        Assert.All(times, t => Assert.True(t > createdAt));
        Assert.All(done, e => Assert.True(e.GetProperty("start_time").GetInt64() >= e.GetProperty("scheduled_time").GetInt64()));
    }

    [Fact]
    public async Task Concurrency_policy_forbid_skips_occurrences_while_one_runs_and_replace_cancels_it()
    {
        var name = NewName();
        var job = await CreateAsync(new { name, command = "/bin/sh", args = new[] { "-c", "sleep 30" }, schedule = "* * * * * *" });
        Assert.Equal("forbid", job.GetProperty("concurrency_policy").GetString());
        Assert.False(job.TryGetProperty("max_concurrent", out _));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<JsonElement> all;
        while (!(all = (await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions().ToList()).Any(e => e.GetProperty("status").GetString() == "skipped"))
        {
            Assert.True(DateTime.UtcNow < deadline, "no occurrence was skipped");
            await Task.Delay(100);
        }

        var skipped = all.First(e => e.GetProperty("status").GetString() == "skipped");
        Assert.Contains("forbid", skipped.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Single(all, e => e.GetProperty("status").GetString() == "running");

        // replace: the next occurrence cancels the running execution and starts.
        var replaced = (await Server.PatchAsync($"{Api}/{name}", new { concurrency_policy = "replace", max_concurrent = 1 })).Ok().GetProperty("job");
        Assert.Equal("replace", replaced.GetProperty("concurrency_policy").GetString());
        Assert.Equal(1, replaced.GetProperty("max_concurrent").GetInt32());
        while (!(all = (await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions().ToList()).Any(e => e.GetProperty("status").GetString() == "cancelled"))
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), "no running execution was replaced");
            await Task.Delay(100);
        }

        (await Server.PatchAsync($"{Api}/{name}", new { enabled = false })).Ok();
        foreach (var e in (await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions().Where(e => e.GetProperty("status").GetString() == "running"))
        {
            (await Server.PostAsync($"{Api}/executions/{e.GetProperty("execution_id").GetString()}/cancel", "{}")).Ok();
        }

        (await Server.PostAsync(Api, new { name = NewName(), command = "x", concurrency_policy = "sometimes" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name = NewName(), command = "x", max_concurrent = -1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api, new { name = NewName(), command = "x", max_concurrent = 5000 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_new_model_version_event_triggers_a_job_once()
    {
        var model = "m-" + Guid.NewGuid().ToString("N")[..8];
        var name = NewName();
        await CreateAsync(new
        {
            name, command = "/bin/sh", args = new[] { "-c", "echo \"$STRATA_EVENT_TYPE\"" },
            event_types = new[] { "model_version.created" }, event_model_name = model,
        });
        (await Server.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = model })).Ok();
        (await Server.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = model + "-other" })).Ok();
        (await Server.PostAsync("/api/2.0/mlflow/model-versions/create", new { name = model + "-other", source = "mlflow-artifacts:/x" })).Ok();
        (await Server.PostAsync("/api/2.0/mlflow/model-versions/create", new { name = model, source = "mlflow-artifacts:/x" })).Ok();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement execution;
        while (true)
        {
            var list = (await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions().ToList();
            if (list.Count > 0 && list[0].GetProperty("status").GetString() == "succeeded")
            {
                execution = Assert.Single(list);
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the event did not trigger the job");
            await Task.Delay(100);
        }

        Assert.Equal("event", execution.GetProperty("trigger").GetString());
        Assert.Equal("model_version.created", execution.GetProperty("event_type").GetString());
        Assert.Equal("model_version.created\n", await LogAsync(execution.GetProperty("execution_id").GetString()!, "stdout"));

        // Several more rounds: the cursor is durable, so the same event never queues a second execution.
        await Task.Delay(500);
        Assert.Single((await Server.GetAsync($"{Api}/{name}/executions")).Ok().Executions());
    }

    [Fact]
    public async Task A_job_finished_event_chains_another_job_but_never_restarts_its_own_job()
    {
        var first = NewName();
        var second = NewName();
        await CreateAsync(new { name = first, command = "/bin/sh", args = new[] { "-c", "true" } });
        await CreateAsync(new { name = second, command = "/bin/sh", args = new[] { "-c", "true" }, event_types = new[] { "job.finished" } });
        var id = (await RunAsync(first)).GetProperty("execution_id").GetString()!;
        await WaitForEndAsync(id);

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await Server.GetAsync($"{Api}/{second}/executions")).Ok().Executions()
            .All(e => e.GetProperty("status").GetString() != "succeeded"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the chained job did not run");
            await Task.Delay(100);
        }

        // Its own job.finished is written too, but never starts it again (or it would run forever).
        await Task.Delay(500);
        var chained = Assert.Single((await Server.GetAsync($"{Api}/{second}/executions")).Ok().Executions());
        Assert.Equal("job.finished", chained.GetProperty("event_type").GetString());
        Assert.Contains((await FinishedEventsAsync()), e => e.Model == second);
    }
}

internal static class JobsJson
{
    /// <summary>A page's executions (the wire leaves an empty list out).</summary>
    public static IEnumerable<JsonElement> Executions(this JsonElement page) =>
        page.TryGetProperty("executions", out var list) ? list.EnumerateArray().ToList() : [];
}
