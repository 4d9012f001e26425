using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;

namespace Strata.Tests.Artifacts;

/// <summary><see cref="ITrackingPurgeStore"/> on both dialects: what a purge removes, and what it refuses.</summary>
public abstract class TrackingPurgeStoreTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private static readonly string[] RunTables =
        ["runs", "metric_blocks", "latest_metrics", "params", "tags", "inputs", "input_tags", "run_model_inputs", "run_model_outputs"];

    private Task<long> RowsAsync(string table, string column, object value) =>
        Fixture.Database.ReadAsync(
            (c, token) => c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table} WHERE {column} = @value", new { value }, cancellationToken: token)),
            Ct);

    private async Task<long> RunRowsAsync(string runId)
    {
        long total = 0;
        foreach (var table in RunTables)
        {
            total += await RowsAsync(table, "run_id", runId);
        }

        return total;
    }

    /// <summary>A run with a row in every table a run owns.</summary>
    private async Task<string> FullRunAsync(string experimentId)
    {
        var run = await CreateRunAsync(experimentId);
        var id = run.Info.RunId;
        await Store.LogBatchAsync(id, [new Metric("m", 1, 1, 0)], [new KeyValue("p", "1")], [new KeyValue("t", "1")], Ct);
        var input = new DatasetInput([new("mlflow.data.context", "training")], new Dataset("ds-" + id[..6], "d1", "local", "/data"));
        await Store.LogInputsAsync(id, [input], [new ModelInput("m-in")], Ct);
        await Store.LogOutputsAsync(id, [new ModelOutput("m-out", 1)], Ct);
        return id;
    }

    [Fact]
    public async Task Lists_deleted_runs_and_experiments_with_their_deletion_times()
    {
        var experiment = await CreateExperimentAsync();
        var active = await FullRunAsync(experiment);
        var deleted = await FullRunAsync(experiment);
        await Store.DeleteRunAsync(deleted, 4242, Ct);

        var runs = await Store.GetDeletedRunsAsync(Ct);
        var listed = Assert.Single(runs, r => r.RunId == deleted);
        Assert.Equal(4242, listed.DeletedTime);
        Assert.Equal(experiment, listed.ExperimentId);
        Assert.DoesNotContain(runs, r => r.RunId == active);

        var gone = await CreateExperimentAsync();
        await Store.DeleteExperimentAsync(gone, 777, Ct);
        var experiments = await Store.GetDeletedExperimentsAsync(Ct);
        Assert.Equal(777, Assert.Single(experiments, e => e.ExperimentId == gone).LastUpdateTime);
        Assert.DoesNotContain(experiments, e => e.ExperimentId == experiment);
        Assert.Equal(2, (await Store.GetRunsOfExperimentAsync(experiment, Ct)).Count);
    }

    [Fact]
    public async Task Purging_a_run_removes_every_row_it_owns_and_only_those()
    {
        var experiment = await CreateExperimentAsync();
        var kept = await FullRunAsync(experiment);
        var purged = await FullRunAsync(experiment);
        var keptRows = await RunRowsAsync(kept);
        Assert.True(await RunRowsAsync(purged) >= RunTables.Length);

        await Store.DeleteRunAsync(purged, 1, Ct);
        await Store.PurgeRunAsync(purged, Ct);
        await Store.PurgeRunAsync(purged, Ct); // a rerun is a no-op

        Assert.Equal(0, await RunRowsAsync(purged));
        Assert.Equal(keptRows, await RunRowsAsync(kept));
        Assert.Null(await Store.GetRunAsync(purged, Ct));
    }

    [Fact]
    public async Task Active_runs_and_experiments_are_refused()
    {
        var experiment = await CreateExperimentAsync();
        var run = await FullRunAsync(experiment);
        var e = await Assert.ThrowsAsync<MlflowException>(() => Store.PurgeRunAsync(run, Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        e = await Assert.ThrowsAsync<MlflowException>(() => Store.PurgeExperimentAsync(experiment, Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.NotNull(await Store.GetRunAsync(run, Ct));

        await Store.DeleteExperimentAsync(experiment, 1, Ct);
        e = await Assert.ThrowsAsync<MlflowException>(() => Store.PurgeExperimentAsync(experiment, Ct));
        Assert.Contains("still has", e.Message);
        Assert.NotNull(await Store.GetExperimentAsync(experiment, Ct));
    }

    [Fact]
    public async Task Purging_an_experiment_removes_its_tags_datasets_and_logged_models()
    {
        var experiment = await CreateExperimentAsync(tags: [new KeyValue("team", "a")]);
        var run = await FullRunAsync(experiment);
        var model = await Store.CreateLoggedModelAsync(new NewLoggedModel("m-" + Guid.NewGuid().ToString("N"), experiment, "m", null, run, null, [new("k", "v")], [new("t", "v")], 1), Ct);
        Assert.Single(await Store.GetLoggedModelsOfExperimentAsync(experiment, Ct));

        await Store.DeleteExperimentAsync(experiment, 1, Ct);
        foreach (var r in await Store.GetRunsOfExperimentAsync(experiment, Ct))
        {
            await Store.PurgeRunAsync(r.RunId, Ct); // runs of a deleted experiment may be purged
        }

        await Store.PurgeExperimentAsync(experiment, Ct);
        await Store.PurgeExperimentAsync(experiment, Ct);
        await Store.PurgeExperimentAsync("not-a-number", Ct);

        var id = long.Parse(experiment, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Null(await Store.GetExperimentAsync(experiment, Ct));
        Assert.Null(await Store.GetLoggedModelAsync(model.Info.ModelId, Ct));
        Assert.Equal(0, await RowsAsync("experiment_tags", "experiment_id", id));
        Assert.Equal(0, await RowsAsync("datasets", "experiment_id", id));
        Assert.Equal(0, await RowsAsync("logged_model_params", "model_id", model.Info.ModelId));
        Assert.Equal(0, await RowsAsync("logged_model_tags", "model_id", model.Info.ModelId));
    }
}

public sealed class SqliteTrackingPurgeStoreTests(SqliteDatabaseFixture fixture) : TrackingPurgeStoreTests<SqliteDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresTrackingPurgeStoreTests(PostgresDatabaseFixture fixture) : TrackingPurgeStoreTests<PostgresDatabaseFixture>(fixture);
