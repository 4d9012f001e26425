using System.Net;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Client.Tests.Integration;

/// <summary>Every tracking endpoint through the client against a real in-process server.</summary>
public sealed class TrackingApiTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Experiments_lifecycle_tags_search_and_errors()
    {
        var id = await _client.CreateExperimentAsync("exp-a", tags: [new KeyValue("team", "ml")]);
        var experiment = await _client.GetExperimentAsync(id);
        Assert.Equal("exp-a", experiment.Name);
        Assert.Equal(LifecycleStage.Active, experiment.LifecycleStage);
        Assert.Contains(experiment.Tags, t => t is { Key: "team", Value: "ml" });
        Assert.Equal(id, (await _client.GetExperimentByNameAsync("exp-a"))!.ExperimentId);
        Assert.Null(await _client.GetExperimentByNameAsync("missing"));

        var duplicate = await Assert.ThrowsAsync<StrataApiException>(() => _client.CreateExperimentAsync("exp-a"));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, duplicate.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);

        await _client.SetExperimentTagAsync(id, "stage", "dev");
        await _client.DeleteExperimentTagAsync(id, "team");
        await _client.RenameExperimentAsync(id, "exp-b");
        experiment = await _client.GetExperimentAsync(id);
        Assert.Equal("exp-b", experiment.Name);
        Assert.Equal([new KeyValue("stage", "dev")], experiment.Tags);

        for (var i = 0; i < 5; i++)
        {
            await _client.CreateExperimentAsync($"paged-{i}");
        }
        var paged = await _client.SearchExperimentsAsync(new ExperimentSearch(Filter: "name LIKE 'paged-%'", MaxResults: 2)).ToListAsync();
        Assert.Equal(5, paged.Count);
        Assert.Equal(5, paged.Select(e => e.ExperimentId).Distinct().Count());
        var first = await _client.SearchExperimentsPageAsync(new ExperimentSearch(Filter: "name LIKE 'paged-%'", MaxResults: 2));
        Assert.Equal(2, first.Items.Count);
        Assert.NotNull(first.NextPageToken);

        await _client.DeleteExperimentAsync(id);
        Assert.Equal(LifecycleStage.Deleted, (await _client.GetExperimentAsync(id)).LifecycleStage);
        var deleted = await _client.SearchExperimentsAsync(new ExperimentSearch(ViewType: ViewType.DELETED_ONLY)).ToListAsync();
        Assert.Contains(deleted, e => e.ExperimentId == id);
        await _client.RestoreExperimentAsync(id);
        Assert.Equal(LifecycleStage.Active, (await _client.GetExperimentAsync(id)).LifecycleStage);

        var missing = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetExperimentAsync("999999"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, missing.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Runs_params_tags_metrics_inputs_outputs_and_search()
    {
        var exp = await _client.CreateExperimentAsync("runs");
        var run = await _client.CreateRunAsync(exp, "r1", [new KeyValue("kind", "test")], startTime: 1000);
        var id = run.Info.RunId;
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(RunStatus.RUNNING, run.Info.Status);
        Assert.Equal("r1", run.Info.RunName);

        await _client.LogParamAsync(id, "lr", "0.1");
        await _client.LogParamAsync(id, "lr", "0.1"); // same value: a no-op, which is why it is retried safely
        var changed = await Assert.ThrowsAsync<StrataApiException>(() => _client.LogParamAsync(id, "lr", "0.2"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, changed.ErrorCode);
        await _client.SetTagAsync(id, "note", "hello");
        await _client.SetTagAsync(id, "gone", "x");
        await _client.DeleteTagAsync(id, "gone");
        await _client.LogMetricAsync(id, "loss", 0.5, step: 1, timestamp: 10);
        await _client.LogMetricAsync(id, "loss", double.NaN, step: 2, timestamp: 11);
        await _client.LogMetricAsync(id, "inf", double.PositiveInfinity, step: 0, timestamp: 12);
        await _client.LogBatchAsync(
            id,
            [.. Enumerable.Range(3, 50).Select(s => new Metric("loss", s * 0.01, 100 + s, s))],
            [new KeyValue("epochs", "50")],
            [new KeyValue("batch", "yes")]);

        var dataset = new Dataset("iris", "abc123", "local", """{"uri":"file:///tmp/iris.csv"}""", """{"mlflow_colspec":[]}""");
        await _client.LogInputsAsync(id, [new DatasetInput([new KeyValue("mlflow.data.context", "training")], dataset)]);
        var model = await _client.CreateLoggedModelAsync(exp, "m", sourceRunId: id);
        await _client.LogOutputsAsync(id, [new ModelOutput(model.Info.ModelId, 3)]);
        await _client.LogModelMetadataAsync(id, """{"artifact_path":"model","flavors":{},"utc_time_created":"2025-01-01 00:00:00.000000","run_id":"x"}""".Replace("\"x\"", $"\"{id}\"", StringComparison.Ordinal));

        var info = await _client.UpdateRunAsync(id, RunStatus.FINISHED, endTime: 2000, runName: "renamed");
        Assert.Equal(RunStatus.FINISHED, info.Status);
        Assert.Equal(2000, info.EndTime);

        var fetched = await _client.GetRunAsync(id);
        Assert.Equal("renamed", fetched.Info.RunName);
        Assert.Contains(fetched.Data.Params, p => p is { Key: "lr", Value: "0.1" });
        Assert.Contains(fetched.Data.Params, p => p is { Key: "epochs", Value: "50" });
        Assert.Contains(fetched.Data.Tags, t => t is { Key: "note", Value: "hello" });
        Assert.Contains(fetched.Data.Tags, t => t.Key == "mlflow.log-model.history");
        Assert.DoesNotContain(fetched.Data.Tags, t => t.Key == "gone");
        Assert.Equal(52 * 0.01, fetched.Data.Metrics.Single(m => m.Key == "loss").Value, 10); // latest = max step
        Assert.Equal(double.PositiveInfinity, fetched.Data.Metrics.Single(m => m.Key == "inf").Value);
        Assert.Equal("abc123", fetched.Inputs.DatasetInputs.Single().Dataset.Digest);
        Assert.Equal(model.Info.ModelId, fetched.Outputs.ModelOutputs.Single().ModelId);

        var history = await _client.GetMetricHistoryAsync(id, "loss", pageSize: 7).ToListAsync();
        Assert.Equal(52, history.Count);
        Assert.True(double.IsNaN(history.Single(m => m.Step == 2).Value));
        var bulk = await _client.GetMetricHistoryBulkIntervalAsync([id], "loss", startStep: 1, endStep: 5);
        Assert.All(bulk, m => Assert.Equal(id, m.RunId));
        Assert.Contains(bulk, m => m.Step == 1);

        for (var i = 0; i < 4; i++)
        {
            var extra = await _client.CreateRunAsync(exp, $"extra-{i}");
            await _client.LogMetricAsync(extra.Info.RunId, "score", i, timestamp: 5);
        }
        var found = await _client.SearchRunsAsync(new RunSearch([exp], Filter: "metrics.score >= 1", OrderBy: ["metrics.score DESC"], MaxResults: 2)).ToListAsync();
        Assert.Equal(["extra-3", "extra-2", "extra-1"], found.Select(r => r.Info.RunName));

        await _client.DeleteRunAsync(id);
        Assert.Equal(LifecycleStage.Deleted, (await _client.GetRunAsync(id)).Info.LifecycleStage);
        var onDeleted = await Assert.ThrowsAsync<StrataApiException>(() => _client.SetTagAsync(id, "k", "v"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, onDeleted.ErrorCode);
        await _client.RestoreRunAsync(id);
        Assert.Equal(LifecycleStage.Active, (await _client.GetRunAsync(id)).Info.LifecycleStage);

        var missing = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetRunAsync("0123456789abcdef0123456789abcdef"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, missing.ErrorCode);
    }

    [Fact]
    public async Task Logged_models_create_finalize_tags_params_search_delete()
    {
        var exp = await _client.CreateExperimentAsync("models");
        var model = await _client.CreateLoggedModelAsync(
            exp, "classifier", modelType: "mlnet", parameters: [new KeyValue("alpha", "1")], tags: [new KeyValue("t", "1")]);
        var id = model.Info.ModelId;
        Assert.StartsWith("m-", id, StringComparison.Ordinal);
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_PENDING, model.Info.Status);
        Assert.EndsWith($"/models/{id}/artifacts", model.Info.ArtifactUri, StringComparison.Ordinal);

        var ready = await _client.FinalizeLoggedModelAsync(id, LoggedModelStatus.LOGGED_MODEL_READY);
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_READY, ready.Info.Status);
        await _client.SetLoggedModelTagsAsync(id, [new KeyValue("t2", "2")]);
        await _client.DeleteLoggedModelTagAsync(id, "t");
        await _client.LogLoggedModelParamsAsync(id, [new KeyValue("beta", "2")]);
        var fetched = await _client.GetLoggedModelAsync(id);
        Assert.Equal(["t2"], fetched.Info.Tags.Select(t => t.Key));
        Assert.Equal(["alpha", "beta"], fetched.Params.Select(p => p.Key).Order());

        for (var i = 0; i < 3; i++)
        {
            await _client.CreateLoggedModelAsync(exp, $"extra{i}");
        }
        var all = await _client.SearchLoggedModelsAsync(new LoggedModelSearch([exp], MaxResults: 2)).ToListAsync();
        Assert.Equal(4, all.Count);
        var filtered = await _client.SearchLoggedModelsAsync(new LoggedModelSearch([exp], Filter: "name = 'classifier'")).ToListAsync();
        Assert.Equal(id, filtered.Single().Info.ModelId);

        await _client.DeleteLoggedModelAsync(id);
        var gone = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetLoggedModelAsync(id));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, gone.ErrorCode);
    }

    [Fact]
    public async Task Fluent_run_with_nested_runs_inputs_and_forty_thousand_points()
    {
        var parentId = await _client.RunAsync("fluent", async parent =>
        {
            await parent.LogParamsAsync(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
            await parent.LogInputAsync(new Dataset("d", "digest1", "local", """{"uri":"file:///d.csv"}"""));
            await parent.RunChildAsync("child", async child =>
            {
                for (var i = 0; i < 20_000; i++)
                {
                    child.LogMetric("x", i, i);
                    child.LogMetric("y", -i, i);
                }
                await child.SetTagAsync("done", "yes");
            });
            return parent.RunId;
        }, runName: "parent");

        var parentRun = await _client.GetRunAsync(parentId);
        Assert.Equal(RunStatus.FINISHED, parentRun.Info.Status);
        Assert.Equal("training", parentRun.Inputs.DatasetInputs.Single().Tags.Single(t => t.Key == "mlflow.data.context").Value);
        var children = await _client.SearchRunsAsync(
            new RunSearch([parentRun.Info.ExperimentId], Filter: $"tags.mlflow.parentRunId = '{parentId}'")).ToListAsync();
        var child = Assert.Single(children);
        Assert.Equal(RunStatus.FINISHED, child.Info.Status);
        Assert.Equal(19_999, child.Data.Metrics.Single(m => m.Key == "x").Value);
        Assert.Equal(20_000, (await _client.GetMetricHistoryAsync(child.Info.RunId, "y").ToListAsync()).Count);

        var failedId = "";
        await Assert.ThrowsAsync<InvalidOperationException>(() => _client.RunAsync("fluent", run =>
        {
            failedId = run.RunId;
            throw new InvalidOperationException("boom");
        }));
        Assert.Equal(RunStatus.FAILED, (await _client.GetRunAsync(failedId)).Info.Status);
    }
}
