using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class RunApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Create_fills_defaults_and_generates_ids_and_names()
    {
        var id = await Server.CreateExperimentAsync();
        var run = await Server.CreateRunAsync(id, new { user_id = "alice" });
        var info = run.GetProperty("info");
        var runId = info.GetProperty("run_id").GetString()!;
        Assert.Matches(new Regex("^[0-9a-f]{32}$"), runId);
        Assert.Equal(runId, info.GetProperty("run_uuid").GetString());
        Assert.Equal("RUNNING", info.GetProperty("status").GetString());
        Assert.Equal("active", info.GetProperty("lifecycle_stage").GetString());
        Assert.Equal("alice", info.GetProperty("user_id").GetString());
        Assert.Equal(1_700_000_000_000L, info.GetProperty("start_time").GetInt64());
        Assert.False(info.TryGetProperty("end_time", out _));
        Assert.Equal($"mlflow-artifacts:/{id}/{runId}/artifacts", info.GetProperty("artifact_uri").GetString());
        var runName = info.GetProperty("run_name").GetString()!;
        Assert.Matches(new Regex("^[a-z]+-[a-z]+-\\d{1,3}$"), runName);

        var tags = run.GetProperty("data").List("tags");
        Assert.Contains(tags, t => t.GetProperty("key").GetString() == "mlflow.runName" && t.GetProperty("value").GetString() == runName);
        Assert.False(run.GetProperty("data").TryGetProperty("params", out _));
        Assert.False(run.GetProperty("data").TryGetProperty("metrics", out _));
    }

    [Fact]
    public async Task Empty_experiment_id_means_default()
    {
        var run = (await Server.PostAsync(Api + "runs/create", new { experiment_id = "" })).Ok().GetProperty("run");
        Assert.Equal("0", run.GetProperty("info").GetProperty("experiment_id").GetString());
        (await Server.PostAsync(Api + "runs/create", new { experiment_id = "424242" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Run_name_and_tag_are_synchronised()
    {
        var fromTag = await Server.CreateRunAsync("0", new { tags = new[] { new { key = "mlflow.runName", value = "from-tag" } } });
        Assert.Equal("from-tag", fromTag.GetProperty("info").GetProperty("run_name").GetString());

        var same = await Server.CreateRunAsync("0", new { run_name = "same", tags = new[] { new { key = "mlflow.runName", value = "same" } } });
        Assert.Equal("same", same.GetProperty("info").GetProperty("run_name").GetString());

        (await Server.PostAsync(Api + "runs/create", new { experiment_id = "0", run_name = "a", tags = new[] { new { key = "mlflow.runName", value = "b" } } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var runId = same.GetProperty("info").GetProperty("run_id").GetString()!;
        (await Server.PostAsync(Api + "runs/set-tag", new { run_id = runId, key = "mlflow.runName", value = "via-tag" })).Ok();
        Assert.Equal("via-tag", (await Server.GetRunAsync(runId)).GetProperty("info").GetProperty("run_name").GetString());

        var updated = (await Server.PostAsync(Api + "runs/update", new { run_id = runId, run_name = "via-update" })).Ok().GetProperty("run_info");
        Assert.Equal("via-update", updated.GetProperty("run_name").GetString());
        var tags = (await Server.GetRunAsync(runId)).GetProperty("data").List("tags");
        Assert.Equal("via-update", tags.Single(t => t.GetProperty("key").GetString() == "mlflow.runName").GetProperty("value").GetString());
    }

    [Fact]
    public async Task Update_sets_status_and_end_time_and_accepts_run_uuid()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var info = (await Server.PostAsync(Api + "runs/update", new { run_uuid = runId, status = "FINISHED", end_time = "1700000009999" }))
            .Ok().GetProperty("run_info");
        Assert.Equal("FINISHED", info.GetProperty("status").GetString());
        Assert.Equal(1700000009999L, info.GetProperty("end_time").GetInt64());

        var byNumber = (await Server.PostAsync(Api + "runs/update", new { run_id = runId, status = 4 })).Ok().GetProperty("run_info");
        Assert.Equal("FAILED", byNumber.GetProperty("status").GetString());
        Assert.Equal(1700000009999L, byNumber.GetProperty("end_time").GetInt64());

        (await Server.PostAsync(Api + "runs/update", new { run_id = runId, status = "DONE" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}runs/get?run_uuid={runId}")).Ok();
    }

    [Fact]
    public async Task Unknown_runs_are_404()
    {
        var missing = Guid.NewGuid().ToString("N");
        (await Server.GetAsync($"{Api}runs/get?run_id={missing}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = missing, key = "m", value = 1, timestamp = 1 })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = missing, @params = new[] { new { key = "p", value = "v" } } })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "runs/delete", new { run_id = missing })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "runs/update", new { run_id = missing, status = "FINISHED" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}runs/get")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Deleted_runs_reject_writes_and_restore_reactivates()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/delete", new { run_id = runId })).Ok();
        var info = (await Server.GetRunAsync(runId)).GetProperty("info");
        Assert.Equal("deleted", info.GetProperty("lifecycle_stage").GetString());
        Assert.Equal("RUNNING", info.GetProperty("status").GetString());

        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value = 1, timestamp = 1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "p", value = "v" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/set-tag", new { run_id = runId, key = "t", value = "v" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, tags = new[] { new { key = "t", value = "v" } } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/update", new { run_id = runId, status = "FINISHED" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        (await Server.PostAsync(Api + "runs/restore", new { run_id = runId })).Ok();
        (await Server.PostAsync(Api + "runs/set-tag", new { run_id = runId, key = "t", value = "v" })).Ok();
    }

    [Fact]
    public async Task Params_are_immutable()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "lr", value = "0.1" })).Ok();
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "lr", value = "0.1" })).Ok();
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "lr", value = "0.2" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var param = Assert.Single((await Server.GetRunAsync(runId)).GetProperty("data").List("params"));
        Assert.Equal("0.1", param.GetProperty("value").GetString());
    }

    [Fact]
    public async Task Long_param_values_are_truncated()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "long", value = new string('v', 7000) })).Ok();
        var param = Assert.Single((await Server.GetRunAsync(runId)).GetProperty("data").List("params"));
        Assert.Equal(6000, param.GetProperty("value").GetString()!.Length);
    }

    [Fact]
    public async Task Tags_set_and_delete()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/set-tag", new { run_id = runId, key = "k'; DROP TABLE tags; --", value = "v" }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/set-tag", new { run_id = runId, key = "note/x", value = "a" })).Ok();
        (await Server.PostAsync(Api + "runs/set-tag", new { run_id = runId, key = "note/x", value = "b" })).Ok();
        var tag = (await Server.GetRunAsync(runId)).GetProperty("data").List("tags").Single(t => t.GetProperty("key").GetString() == "note/x");
        Assert.Equal("b", tag.GetProperty("value").GetString());
        (await Server.PostAsync(Api + "runs/delete-tag", new { run_id = runId, key = "note/x" })).Ok();
        (await Server.PostAsync(Api + "runs/delete-tag", new { run_id = runId, key = "note/x" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Log_model_appends_history_and_validates_json()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var model = JsonSerializer.Serialize(new { artifact_path = "model", flavors = new { python_function = new { } }, utc_time_created = "2024-01-01", run_id = runId });
        (await Server.PostAsync(Api + "runs/log-model", new { run_id = runId, model_json = model })).Ok();
        (await Server.PostAsync(Api + "runs/log-model", new { run_id = runId, model_json = model })).Ok();
        var history = (await Server.GetRunAsync(runId)).GetProperty("data").List("tags").Single(t => t.GetProperty("key").GetString() == "mlflow.log-model.history");
        using var parsed = JsonDocument.Parse(history.GetProperty("value").GetString()!);
        Assert.Equal(2, parsed.RootElement.GetArrayLength());

        (await Server.PostAsync(Api + "runs/log-model", new { run_id = runId, model_json = "{not json" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-model", new { run_id = runId, model_json = "{\"artifact_path\":\"m\"}" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Log_inputs_and_outputs_appear_on_the_run()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var datasets = new[]
        {
            new
            {
                tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                dataset = new { name = "iris", digest = "abc123", source_type = "local", source = "{\"uri\":\"/data\"}", schema = "{}" },
            },
        };
        (await Server.PostAsync(Api + "runs/log-inputs", new { run_id = runId, datasets })).Ok();
        (await Server.PostAsync(Api + "runs/log-inputs", new { run_id = runId, datasets })).Ok(); // idempotent
        (await Server.PostAsync(Api + "runs/log-inputs", new { run_id = runId, datasets = new[] { new { dataset = new { name = "x" } } } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var model = (await Server.PostAsync(Api + "logged-models", new { experiment_id = "0", name = "m1", source_run_id = runId })).Ok().GetProperty("model");
        var modelId = model.GetProperty("info").GetProperty("model_id").GetString()!;
        (await Server.PostAsync(Api + "runs/outputs", new { run_id = runId, models = new[] { new { model_id = modelId, step = 3 } } })).Ok();
        (await Server.PostAsync(Api + "runs/outputs", new { run_id = runId })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var run = await Server.GetRunAsync(runId);
        var input = Assert.Single(run.GetProperty("inputs").List("dataset_inputs"));
        Assert.Equal("iris", input.GetProperty("dataset").GetProperty("name").GetString());
        Assert.Equal("training", input.List("tags").Single().GetProperty("value").GetString());
        Assert.False(input.GetProperty("dataset").TryGetProperty("profile", out _));
        var output = Assert.Single(run.GetProperty("outputs").List("model_outputs"));
        Assert.Equal(modelId, output.GetProperty("model_id").GetString());
        Assert.Equal(3, output.GetProperty("step").GetInt64());
    }
}
