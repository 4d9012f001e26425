using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteTrackingStoreTests(SqliteDatabaseFixture fixture) : TrackingStoreTests<SqliteDatabaseFixture>(fixture);

/// <summary>Experiments, runs, params, tags, metrics and inputs: every method and rule of the store.</summary>
public abstract class TrackingStoreTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private static async Task<MlflowException> Throws(ErrorCode code, Func<Task> action)
    {
        var ex = await Assert.ThrowsAsync<MlflowException>(action);
        Assert.Equal(code, ex.Code);
        return ex;
    }

    [Fact]
    public async Task Default_experiment_is_created_once_as_id_zero()
    {
        await Store.EnsureDefaultExperimentAsync(Root, 5, Ct);
        await Store.EnsureDefaultExperimentAsync(Root, 6, Ct);
        var exp = await Store.GetExperimentAsync("0", Ct);
        Assert.NotNull(exp);
        Assert.Equal("Default", exp.Name);
        Assert.Equal("mlflow-artifacts:/0", exp.ArtifactLocation);
        Assert.Equal(LifecycleStage.Active, exp.LifecycleStage);
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.DeleteExperimentAsync("0", 7, Ct));
    }

    [Fact]
    public async Task Create_experiment_assigns_increasing_ids_default_location_and_tags()
    {
        var a = await CreateExperimentAsync(tags: [new("team", "x"), new("team", "y")]);
        var b = await CreateExperimentAsync(location: "s3://bucket/place");
        Assert.True(long.Parse(b) > long.Parse(a));
        Assert.True(long.Parse(a) >= 1);
        var expA = await Store.GetExperimentAsync(a, Ct);
        Assert.Equal($"mlflow-artifacts:/{a}", expA!.ArtifactLocation);
        Assert.Equal([new KeyValue("team", "y")], expA.Tags);
        Assert.Equal("s3://bucket/place", (await Store.GetExperimentAsync(b, Ct))!.ArtifactLocation);
        Assert.Null(await Store.GetExperimentAsync("999999", Ct));
        Assert.Null(await Store.GetExperimentAsync("abc", Ct));
    }

    [Fact]
    public async Task Experiment_ids_are_not_reused_after_a_purge()
    {
        var purged = await CreateExperimentAsync();
        await Store.DeleteExperimentAsync(purged, 1, Ct);
        await Store.PurgeExperimentAsync(purged, Ct);
        Assert.Null(await Store.GetExperimentAsync(purged, Ct));
        var next = await CreateExperimentAsync();
        Assert.True(long.Parse(next) > long.Parse(purged), $"{next} after purged {purged}");
    }

    [Fact]
    public async Task Experiment_names_are_unique_among_deleted_ones_too()
    {
        var name = UniqueName();
        var id = await CreateExperimentAsync(name);
        await Throws(ErrorCode.RESOURCE_ALREADY_EXISTS, () => CreateExperimentAsync(name));
        await Store.DeleteExperimentAsync(id, 2000, Ct);
        await Throws(ErrorCode.RESOURCE_ALREADY_EXISTS, () => CreateExperimentAsync(name));
        var byName = await Store.GetExperimentByNameAsync(name, Ct);
        Assert.Equal(id, byName!.ExperimentId);
        Assert.Equal(LifecycleStage.Deleted, byName.LifecycleStage);
        Assert.Null(await Store.GetExperimentByNameAsync(UniqueName(), Ct));
    }

    [Fact]
    public async Task Delete_and_restore_experiment_cascade_to_every_run()
    {
        var exp = await CreateExperimentAsync();
        var r1 = await CreateRunAsync(exp);
        var r2 = await CreateRunAsync(exp);
        await Store.DeleteRunAsync(r2.Info.RunId, 1500, Ct);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.RestoreExperimentAsync(exp, 1600, Ct));

        await Store.DeleteExperimentAsync(exp, 2000, Ct);
        var deleted = await Store.GetExperimentAsync(exp, Ct);
        Assert.Equal(LifecycleStage.Deleted, deleted!.LifecycleStage);
        Assert.Equal(2000, deleted.LastUpdateTime);
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetRunAsync(r1.Info.RunId, Ct))!.Info.LifecycleStage);
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => CreateRunAsync(exp));

        await Store.RestoreExperimentAsync(exp, 3000, Ct);
        Assert.Equal(LifecycleStage.Active, (await Store.GetExperimentAsync(exp, Ct))!.LifecycleStage);
        Assert.Equal(LifecycleStage.Active, (await Store.GetRunAsync(r1.Info.RunId, Ct))!.Info.LifecycleStage);
        Assert.Equal(LifecycleStage.Active, (await Store.GetRunAsync(r2.Info.RunId, Ct))!.Info.LifecycleStage);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.DeleteExperimentAsync("424242", 1, Ct));
    }

    [Fact]
    public async Task Rename_only_while_active_and_to_a_free_name()
    {
        var taken = UniqueName();
        await CreateExperimentAsync(taken);
        var exp = await CreateExperimentAsync();
        var newName = UniqueName();
        await Store.RenameExperimentAsync(exp, newName, 5000, Ct);
        var renamed = await Store.GetExperimentAsync(exp, Ct);
        Assert.Equal(newName, renamed!.Name);
        Assert.Equal(5000, renamed.LastUpdateTime);
        await Throws(ErrorCode.RESOURCE_ALREADY_EXISTS, () => Store.RenameExperimentAsync(exp, taken, 6000, Ct));
        await Store.DeleteExperimentAsync(exp, 7000, Ct);
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.RenameExperimentAsync(exp, UniqueName(), 8000, Ct));
    }

    [Fact]
    public async Task Experiment_tags_upsert_and_delete()
    {
        var exp = await CreateExperimentAsync();
        await Store.SetExperimentTagAsync(exp, new("a", "1"), Ct);
        await Store.SetExperimentTagAsync(exp, new("a", "2"), Ct);
        await Store.SetExperimentTagAsync(exp, new("b", "3"), Ct);
        Assert.Equal([new KeyValue("a", "2"), new KeyValue("b", "3")], (await Store.GetExperimentAsync(exp, Ct))!.Tags);
        await Store.DeleteExperimentTagAsync(exp, "a", Ct);
        Assert.Equal([new KeyValue("b", "3")], (await Store.GetExperimentAsync(exp, Ct))!.Tags);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.DeleteExperimentTagAsync(exp, "a", Ct));
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.SetExperimentTagAsync("987654", new("a", "1"), Ct));
        await Store.DeleteExperimentAsync(exp, 9, Ct);
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.SetExperimentTagAsync(exp, new("c", "1"), Ct));
    }

    [Fact]
    public async Task Create_run_sets_uri_status_and_run_name_tag()
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp, "my-run", 1234, [new("mlflow.user", "bob"), new("mlflow.runName", "other")]);
        var got = await Store.GetRunAsync(run.Info.RunId, Ct);
        Assert.NotNull(got);
        Assert.Equal($"mlflow-artifacts:/{exp}/{run.Info.RunId}/artifacts", got.Info.ArtifactUri);
        Assert.Equal(RunStatus.RUNNING, got.Info.Status);
        Assert.Equal(LifecycleStage.Active, got.Info.LifecycleStage);
        Assert.Equal(1234, got.Info.StartTime);
        Assert.Null(got.Info.EndTime);
        Assert.Equal("my-run", got.Info.RunName);
        Assert.Equal("alice", got.Info.UserId);
        Assert.Contains(new KeyValue("mlflow.runName", "my-run"), got.Data.Tags);
        Assert.Contains(new KeyValue("mlflow.user", "bob"), got.Data.Tags);
        Assert.Equal(run.Info, got.Info);
        Assert.Null(await Store.GetRunAsync(NewRunId(), Ct));
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => CreateRunAsync("55555"));
    }

    [Fact]
    public async Task Update_run_changes_only_given_fields_and_syncs_run_name_tag()
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp, "before");
        var info = await Store.UpdateRunAsync(run.Info.RunId, RunStatus.FINISHED, 9999, null, Ct);
        Assert.Equal(RunStatus.FINISHED, info.Status);
        Assert.Equal(9999, info.EndTime);
        Assert.Equal("before", info.RunName);
        info = await Store.UpdateRunAsync(run.Info.RunId, null, null, "after", Ct);
        Assert.Equal(RunStatus.FINISHED, info.Status);
        Assert.Equal("after", info.RunName);
        var got = await Store.GetRunAsync(run.Info.RunId, Ct);
        Assert.Contains(new KeyValue("mlflow.runName", "after"), got!.Data.Tags);

        await Store.LogBatchAsync(run.Info.RunId, [], [], [new("mlflow.runName", "via-tag")], Ct);
        Assert.Equal("via-tag", (await Store.GetRunAsync(run.Info.RunId, Ct))!.Info.RunName);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.UpdateRunAsync(NewRunId(), RunStatus.FAILED, null, null, Ct));
    }

    [Fact]
    public async Task Writes_to_a_deleted_run_are_rejected_and_restore_reactivates()
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp);
        var id = run.Info.RunId;
        await Store.DeleteRunAsync(id, 10, Ct);
        Assert.Equal(LifecycleStage.Deleted, (await Store.GetRunAsync(id, Ct))!.Info.LifecycleStage);
        var expected = $"The run {id} must be in the 'active' state. Current state is deleted.";
        Assert.Equal(expected, (await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => LogMetricAsync(id, "m", 1))).Message);
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.LogBatchAsync(id, [], [new("p", "1")], [], Ct));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.LogBatchAsync(id, [], [], [new("t", "1")], Ct));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.DeleteTagAsync(id, "mlflow.runName", Ct));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.UpdateRunAsync(id, RunStatus.FINISHED, 5, null, Ct));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.AppendLoggedModelHistoryAsync(id, "{}", Ct));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.LogInputsAsync(id, [], [new ModelInput("m-1")], Ct));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.LogOutputsAsync(id, [new ModelOutput("m-1", 1)], Ct));
        await Store.RestoreRunAsync(id, 20, Ct);
        await LogMetricAsync(id, "m", 1);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.DeleteRunAsync(NewRunId(), 1, Ct));
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.RestoreRunAsync(NewRunId(), 1, Ct));
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => LogMetricAsync(NewRunId(), "m", 1));
    }

    [Fact]
    public async Task Params_are_immutable_and_duplicates_in_a_batch_rejected()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogBatchAsync(id, [], [new("lr", "0.1"), new("depth", "3")], [], Ct);
        await Store.LogBatchAsync(id, [], [new("lr", "0.1")], [], Ct);
        var ex = await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.LogBatchAsync(id, [], [new("lr", "0.2")], [], Ct));
        Assert.StartsWith("Changing param values is not allowed", ex.Message);
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.LogBatchAsync(id, [], [new("x", "1"), new("x", "1")], [], Ct));
        var run = await Store.GetRunAsync(id, Ct);
        Assert.Equal([new KeyValue("depth", "3"), new KeyValue("lr", "0.1")], run!.Data.Params);
    }

    [Fact]
    public async Task Log_batch_is_atomic_when_a_param_conflicts()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogBatchAsync(id, [], [new("p", "1")], [], Ct);
        await Assert.ThrowsAsync<MlflowException>(() => Store.LogBatchAsync(
            id, [new Metric("m", 1, 1, 0)], [new("q", "2"), new("p", "changed")], [new("t", "v")], Ct));
        var run = await Store.GetRunAsync(id, Ct);
        Assert.Empty(run!.Data.Metrics);
        Assert.Equal([new KeyValue("p", "1")], run.Data.Params);
        Assert.DoesNotContain(run.Data.Tags, t => t.Key == "t");
        Assert.Empty((await Store.GetMetricHistoryAsync(id, "m", null, null, Ct)).Items);
    }

    [Fact]
    public async Task Metrics_keep_history_latest_per_key_nan_and_infinity()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogBatchAsync(id,
        [
            new Metric("loss", 3, 100, 0),
            new Metric("loss", 2, 200, 1),
            new Metric("loss", 5, 50, 1),   // same step, earlier timestamp: not latest
            new Metric("loss", 2, 200, 1),  // exact duplicate: ignored
            new Metric("inf", double.PositiveInfinity, 1, 0),
            new Metric("ninf", double.NegativeInfinity, 1, 0),
            new Metric("nan", double.NaN, 1, 0),
        ], [], [], Ct);
        await LogMetricAsync(id, "loss", 9, 10, 0);       // older step: history only
        await LogMetricAsync(id, "nan", 7, 1, 0);         // same step and time: a number beats NaN
        await LogMetricAsync(id, "loss", 2, 200, 1);      // duplicate across calls: ignored

        var run = await Store.GetRunAsync(id, Ct);
        var latest = run!.Data.Metrics.ToDictionary(m => m.Key);
        Assert.Equal(new Metric("loss", 2, 200, 1), latest["loss"]);
        Assert.Equal(double.PositiveInfinity, latest["inf"].Value);
        Assert.Equal(double.NegativeInfinity, latest["ninf"].Value);
        Assert.Equal(7, latest["nan"].Value);

        var history = (await Store.GetMetricHistoryAsync(id, "loss", null, null, Ct)).Items;
        Assert.Equal([10L, 50, 100, 200], history.Select(m => m.Timestamp));
        var nan = (await Store.GetMetricHistoryAsync(id, "nan", null, null, Ct)).Items;
        Assert.Equal(2, nan.Count);
        Assert.Contains(nan, m => double.IsNaN(m.Value));
        Assert.Empty((await Store.GetMetricHistoryAsync(id, "absent", null, null, Ct)).Items);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.GetMetricHistoryAsync(NewRunId(), "loss", null, null, Ct));
    }

    [Fact]
    public async Task Latest_metric_only_moves_forward_across_calls()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        await LogMetricAsync(id, "acc", 0.5, timestamp: 10, step: 5);
        await LogMetricAsync(id, "acc", 0.9, timestamp: 20, step: 4);
        await LogMetricAsync(id, "acc", 0.1, timestamp: 5, step: 5);
        Assert.Equal(new Metric("acc", 0.5, 10, 5), (await Store.GetRunAsync(id, Ct))!.Data.Metrics.Single());
        await LogMetricAsync(id, "acc", 0.6, timestamp: 10, step: 5);
        Assert.Equal(new Metric("acc", 0.6, 10, 5), (await Store.GetRunAsync(id, Ct))!.Data.Metrics.Single());
        await LogMetricAsync(id, "acc", double.NaN, timestamp: 11, step: 5);
        Assert.True(double.IsNaN((await Store.GetRunAsync(id, Ct))!.Data.Metrics.Single().Value));
    }

    [Fact]
    public async Task Run_tags_upsert_and_delete()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogBatchAsync(id, [], [], [new("a", "1"), new("a", "2")], Ct);
        await Store.LogBatchAsync(id, [], [], [new("b", "x")], Ct);
        var tags = (await Store.GetRunAsync(id, Ct))!.Data.Tags;
        Assert.Contains(new KeyValue("a", "2"), tags);
        Assert.Contains(new KeyValue("b", "x"), tags);
        await Store.DeleteTagAsync(id, "a", Ct);
        Assert.DoesNotContain((await Store.GetRunAsync(id, Ct))!.Data.Tags, t => t.Key == "a");
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.DeleteTagAsync(id, "a", Ct));
    }

    [Fact]
    public async Task Log_model_history_appends_to_the_json_list()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        await Store.AppendLoggedModelHistoryAsync(id, """{"artifact_path":"model","flavors":{}}""", Ct);
        await Store.AppendLoggedModelHistoryAsync(id, """{"artifact_path":"model2","flavors":{}}""", Ct);
        var tag = (await Store.GetRunAsync(id, Ct))!.Data.Tags.Single(t => t.Key == "mlflow.log-model.history");
        using var doc = System.Text.Json.JsonDocument.Parse(tag.Value);
        Assert.Equal(["model", "model2"], doc.RootElement.EnumerateArray().Select(e => e.GetProperty("artifact_path").GetString()));
        await Throws(ErrorCode.INVALID_PARAMETER_VALUE, () => Store.AppendLoggedModelHistoryAsync(id, "{not json", Ct));
    }

    [Fact]
    public async Task Log_inputs_is_idempotent_and_outputs_are_recorded()
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        var input = new DatasetInput([new("mlflow.data.context", "training")], new Dataset("ds", "abc123", "local", "/data", "{}", "{\"rows\":3}"));
        await Store.LogInputsAsync(id, [input], [new ModelInput("m-aaa")], Ct);
        await Store.LogInputsAsync(id, [input], [new ModelInput("m-aaa")], Ct);
        await Store.LogOutputsAsync(id, [new ModelOutput("m-bbb", 3)], Ct);
        var run = await Store.GetRunAsync(id, Ct);
        var single = Assert.Single(run!.Inputs.DatasetInputs);
        Assert.Equal(input.Dataset, single.Dataset);
        Assert.Equal(input.Tags, single.Tags);
        Assert.Equal([new ModelInput("m-aaa")], run.Inputs.ModelInputs);
        Assert.Equal([new ModelOutput("m-bbb", 3)], run.Outputs.ModelOutputs);

        // The same dataset from a second run of the experiment is shared, not duplicated.
        var other = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogInputsAsync(other, [input with { Tags = [new("mlflow.data.context", "eval")] }], [], Ct);
        var otherRun = await Store.GetRunAsync(other, Ct);
        Assert.Equal("eval", Assert.Single(otherRun!.Inputs.DatasetInputs).Tags.Single().Value);
    }

    [Fact]
    public async Task Logged_models_lifecycle_params_tags_and_metrics()
    {
        var exp = await CreateExperimentAsync();
        var runId = (await CreateRunAsync(exp)).Info.RunId;
        var modelId = "m-" + Guid.NewGuid().ToString("N");
        var model = await Store.CreateLoggedModelAsync(
            new NewLoggedModel(modelId, exp, "clf", "sklearn", runId, "alice", [new("alpha", "1")], [new("t", "1")], 5000), Ct);
        Assert.Equal($"mlflow-artifacts:/{exp}/models/{modelId}/artifacts", model.Info.ArtifactUri);
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_PENDING, model.Info.Status);
        Assert.Equal([new KeyValue("alpha", "1")], model.Params);

        await Store.LogBatchAsync(runId, [new Metric("acc", 0.9, 10, 1, ModelId: modelId, DatasetName: "ds", DatasetDigest: "d1")], [], [], Ct);
        await Store.SetLoggedModelTagsAsync(modelId, [new("t", "2"), new("u", "3"), new("mlflow.modelVersions", """[{"name":"reg","version":"1"}]""")], Ct);
        await Store.LogLoggedModelParamsAsync(modelId, [new("beta", "2")], Ct);
        var ready = await Store.FinalizeLoggedModelAsync(modelId, LoggedModelStatus.LOGGED_MODEL_READY, 6000, Ct);
        Assert.Equal(LoggedModelStatus.LOGGED_MODEL_READY, ready.Info.Status);
        Assert.Equal(6000, ready.Info.LastUpdatedTimestampMs);
        Assert.Contains(new KeyValue("t", "2"), ready.Info.Tags);
        Assert.Equal([new LoggedModelRegistration("reg", "1")], ready.Info.Registrations);
        Assert.Equal(2, ready.Params.Count);
        var metric = Assert.Single(ready.Metrics);
        Assert.Equal(("acc", 0.9, runId, "ds"), (metric.Key, metric.Value, metric.RunId, metric.DatasetName));
        var point = Assert.Single((await Store.GetMetricHistoryAsync(runId, "acc", null, null, Ct)).Items);
        Assert.Equal((modelId, "ds", "d1"), (point.ModelId, point.DatasetName, point.DatasetDigest));

        await Store.DeleteLoggedModelTagAsync(modelId, "u", Ct);
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.DeleteLoggedModelTagAsync(modelId, "u", Ct));
        await Store.DeleteLoggedModelAsync(modelId, 7000, Ct);
        Assert.Null(await Store.GetLoggedModelAsync(modelId, Ct));
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.SetLoggedModelTagsAsync(modelId, [new("a", "b")], Ct));
        await Throws(ErrorCode.RESOURCE_DOES_NOT_EXIST, () => Store.FinalizeLoggedModelAsync("m-missing", LoggedModelStatus.LOGGED_MODEL_READY, 1, Ct));
    }
}
