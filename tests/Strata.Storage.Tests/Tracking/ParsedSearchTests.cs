using Strata.Core.Search;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteParsedSearchTests(SqliteDatabaseFixture fixture) : ParsedSearchTests<SqliteDatabaseFixture>(fixture);

/// <summary>Filter and order strings as clients send them, through the Core parser into the store.</summary>
public abstract class ParsedSearchTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private async Task<List<string>> RunsAsync(string exp, string filter, params string[] orderBy)
    {
        var query = new RunQuery([exp], SearchFilterParser.Parse(filter, SearchTarget.Runs), OrderByParser.Parse(orderBy, SearchTarget.Runs), ViewType.ACTIVE_ONLY, 100, null);
        return (await Store.SearchRunsAsync(query, Ct)).Items.Select(r => r.Info.RunName).ToList();
    }

    [Fact]
    public async Task Client_filter_strings_select_and_order_runs()
    {
        var exp = await CreateExperimentAsync();
        for (var i = 0; i < 4; i++)
        {
            var run = await CreateRunAsync(exp, "run-" + i, startTime: 10 + i);
            await Store.LogBatchAsync(run.Info.RunId, [new Metric("rmse", 1.0 / (i + 1), 1, 0)], [new("model", i % 2 == 0 ? "lr" : "rf")], [new("my-tag", "X" + i)], Ct);
        }

        Assert.Equal(["run-2", "run-0"], await RunsAsync(exp, "metrics.rmse > 0.3 and params.model = 'lr'"));
        Assert.Equal(["run-3", "run-2"], await RunsAsync(exp, "tags.`my-tag` ILIKE '%x%' and metrics.rmse < 0.4", "metrics.rmse ASC"));
        Assert.Equal(["run-1"], await RunsAsync(exp, "attributes.run_name = 'run-1'"));
        Assert.Equal(["run-0", "run-1"], await RunsAsync(exp, "created < 12", "attributes.start_time asc"));
        Assert.Equal(["run-3", "run-1"], await RunsAsync(exp, "`Run name` LIKE 'run-%' and params.model != 'lr'"));
    }

    [Fact]
    public async Task Client_filter_strings_select_experiments_and_models()
    {
        var prefix = UniqueName("parsed");
        var a = await CreateExperimentAsync(prefix + "-a", tags: [new("k", "v")]);
        await CreateExperimentAsync(prefix + "-b");
        var experiments = await Store.SearchExperimentsAsync(new ExperimentQuery(
            SearchFilterParser.Parse($"name LIKE '{prefix}%' and tags.k = 'v'", SearchTarget.Experiments),
            OrderByParser.Parse(["name DESC"], SearchTarget.Experiments), ViewType.ALL, 10, null), Ct);
        Assert.Equal([a], experiments.Items.Select(e => e.ExperimentId));

        var id = "m-" + Guid.NewGuid().ToString("N");
        await Store.CreateLoggedModelAsync(new NewLoggedModel(id, a, "clf", "sk", null, null, [new("p", "1")], [], 5), Ct);
        var models = await Store.SearchLoggedModelsAsync(new LoggedModelQuery([a],
            SearchFilterParser.Parse("params.p = '1' and creation_time >= 5 and status = 'PENDING'", SearchTarget.LoggedModels),
            OrderByParser.Parse(["creation_timestamp DESC"], SearchTarget.LoggedModels), 10, null), Ct);
        Assert.Equal([id], models.Items.Select(m => m.Info.ModelId));
    }
}
