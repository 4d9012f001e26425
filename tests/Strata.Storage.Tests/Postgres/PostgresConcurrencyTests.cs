using System.Text.Json.Nodes;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Postgres;

/// <summary>
/// What SQLite's single writer gives for free must hold on PostgreSQL, where writes of many requests
/// (and replicas) really overlap: racing writers get the answer a serial order would give them,
/// never a raw constraint error (a 500) and never a lost update.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConcurrencyTests(PostgresDatabaseFixture fixture) : TrackingTestBase<PostgresDatabaseFixture>(fixture)
{
    private const int Writers = 8;

    private static Task RaceAsync(Func<int, Task> write) =>
        Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(() => write(i))));

    [Fact]
    public async Task The_same_param_logged_at_once_is_accepted_by_everyone()
    {
        var run = await CreateRunAsync(await CreateExperimentAsync());
        await RaceAsync(_ => Store.LogBatchAsync(run.Info.RunId, [], [new("lr", "0.1"), new("epochs", "3")], [], Ct));

        var stored = await Store.GetRunAsync(run.Info.RunId, Ct);
        Assert.Equal([new KeyValue("epochs", "3"), new KeyValue("lr", "0.1")], stored!.Data.Params.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Different_values_for_one_param_at_once_one_wins_the_rest_are_refused()
    {
        var run = await CreateRunAsync(await CreateExperimentAsync());
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Writers).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.LogBatchAsync(run.Info.RunId, [], [new("lr", $"v{i}")], [], Ct);
                return (ErrorCode?)null;
            }
            catch (MlflowException ex)
            {
                return ex.Code;
            }
        })));

        Assert.Single(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, o));
    }

    [Fact]
    public async Task Appends_to_the_log_model_history_at_once_are_all_kept()
    {
        var run = await CreateRunAsync(await CreateExperimentAsync());
        await RaceAsync(i => Store.AppendLoggedModelHistoryAsync(run.Info.RunId, $$"""{"artifact_path": "m{{i}}"}""", Ct));

        var stored = await Store.GetRunAsync(run.Info.RunId, Ct);
        var history = JsonNode.Parse(stored!.Data.Tags.Single(t => t.Key == "mlflow.log-model.history").Value)!.AsArray();
        Assert.Equal(Enumerable.Range(0, Writers).Select(i => $"m{i}"), history.Select(h => (string)h!["artifact_path"]!).Order());
    }

    [Fact]
    public async Task Metric_batches_over_shared_keys_in_opposite_orders_all_land()
    {
        var run = await CreateRunAsync(await CreateExperimentAsync());
        var keys = Enumerable.Range(0, 20).Select(k => $"k{k:D2}").ToList();

        // Half the writers touch the keys in one order, half in the other: row locks taken in
        // opposite orders are how deadlocks happen.
        await RaceAsync(i =>
        {
            var order = i % 2 == 0 ? keys : Enumerable.Reverse(keys).ToList();
            return Store.LogBatchAsync(run.Info.RunId, order.Select(k => new Metric(k, i, 100 + i, i)).ToList(), [], [], Ct);
        });

        var stored = await Store.GetRunAsync(run.Info.RunId, Ct);
        Assert.Equal(keys, stored!.Data.Metrics.Select(m => m.Key).Order());
        Assert.All(stored.Data.Metrics, m => Assert.Equal(Writers - 1, m.Step));
        var history = await Store.GetMetricHistoryAsync(run.Info.RunId, "k00", null, null, Ct);
        Assert.Equal(Writers, history.Items.Count);
    }

    [Fact]
    public async Task One_experiment_name_created_at_once_exists_once()
    {
        var name = UniqueName();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            try
            {
                await CreateExperimentAsync(name);
                return (ErrorCode?)null;
            }
            catch (MlflowException ex)
            {
                return ex.Code;
            }
        })));

        Assert.Single(outcomes, o => o is null);
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, o));
    }
}
