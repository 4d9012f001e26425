using Dapper;
using Strata.Core.Search;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteQueryPlanTests(SqliteDatabaseFixture fixture) : QueryPlanTests<SqliteDatabaseFixture>(fixture)
{
    protected override string ExplainPrefix => "EXPLAIN QUERY PLAN ";

    // SQLite says "SCAN <table or alias>" for a full scan (a covering-index scan included) and
    // "SEARCH ... USING" for an index lookup. Plans name aliases, so any SCAN other than the bound
    // list of integers (json_each, a virtual table) counts: none of these queries should scan a table.
    // "SCAN c" reads the top-k candidate co-routine, whose rows come from the index search planned for it.
    protected override bool IsFullScan(string planLine) =>
        planLine.StartsWith("SCAN ", StringComparison.Ordinal) && !planLine.Contains("VIRTUAL TABLE", StringComparison.Ordinal)
        && planLine != "SCAN c";
}

/// <summary>
/// The queries that must stay index lookups as data grows: run search over latest_metrics/params/tags
/// and the metric history reads. A regression to a full scan of metrics or latest_metrics fails here.
/// A PostgreSQL subclass supplies EXPLAIN and the scan test (and should disable seq scans on tiny tables).
/// </summary>
public abstract class QueryPlanTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    protected abstract string ExplainPrefix { get; }

    /// <summary>Does this plan line read a whole table (metrics, latest_metrics, params, tags, runs)?</summary>
    protected abstract bool IsFullScan(string planLine);

    private async Task<List<string>> PlanAsync(string sql, object parameters)
    {
        var rows = await Fixture.Database.ReadAsync(
            async (c, ct) => (await c.QueryAsync(new CommandDefinition(ExplainPrefix + sql, parameters, cancellationToken: ct))).ToList(),
            Ct);
        // SQLite's plan rows carry the text in "detail"; PostgreSQL's in "QUERY PLAN".
        return rows.Select(r => (string)(((IDictionary<string, object>)r).TryGetValue("detail", out var d) ? d : ((IDictionary<string, object>)r)["QUERY PLAN"]))
                   .ToList();
    }

    private void AssertNoFullScan(List<string> plan, string what)
    {
        Console.WriteLine($"[plan] {what}: {string.Join(" | ", plan)}");
        foreach (var line in plan)
        {
            Assert.False(IsFullScan(line.Trim()), $"{what} scans a table: {string.Join(" | ", plan)}");
        }
    }

    [Fact]
    public async Task Run_search_probes_latest_metrics_params_and_tags_by_key()
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp);
        await Store.LogBatchAsync(run.Info.RunId, [new Metric("acc", 0.5, 1, 0)], [new("p", "v")], [new("t", "v")], Ct);
        var query = new RunQuery(
            [exp],
            [
                new Comparison(new SearchKey(KeyKind.Metric, "acc"), Comparator.Greater, new NumberValue(0.1, "0.1")),
                new Comparison(new SearchKey(KeyKind.Param, "p"), Comparator.Like, new StringValue("v%")),
                new Comparison(new SearchKey(KeyKind.Tag, "t"), Comparator.Equal, new StringValue("v")),
            ],
            [new OrderTerm(new SearchKey(KeyKind.Metric, "acc"), false), new OrderTerm(new SearchKey(KeyKind.Param, "p"), true)],
            ViewType.ACTIVE_ONLY,
            100,
            null);
        var builder = new RunSearchSql(Fixture.Database.Dialect, [long.Parse(exp)], query, 101, [0L, 0.5, 0L, "v", 10L, run.Info.RunId]);
        var plan = await PlanAsync(builder.Sql, builder.Parameters);
        AssertNoFullScan(plan, "run search");
        if (Fixture.Database.Dialect.Kind == SqlDialectKind.Sqlite)
        {
            // Each filter is one range of its (key, value) index, read once - not a probe per run of the
            // experiment, and not (the EXISTS misplan) a walk of the key's range for every run.
            Assert.Contains(plan, l => l.Contains("LIST SUBQUERY", StringComparison.Ordinal));
            Assert.Contains(plan, l => l.Contains("ix_latest_metrics_key_value (key=? AND is_nan=? AND value>?)", StringComparison.Ordinal));
            Assert.Contains(plan, l => l.Contains("ix_params_key_value (key=?", StringComparison.Ordinal));
            Assert.Contains(plan, l => l.Contains("ix_tags_key_value (key=? AND value=?)", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, l => l.Contains("CORRELATED", StringComparison.Ordinal) || l.Contains(" EXISTS ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Run_page_children_are_probed_per_run_id()
    {
        var exp = await CreateExperimentAsync();
        var run = (await CreateRunAsync(exp)).Info.RunId;
        var ids = Fixture.Database.Dialect.TextListValue([run, NewRunId()]);
        // The hot children (params, tags, latest metrics) must be probed by run id. The input and model
        // tables are small and may legitimately be scanned by a cost-based planner while empty.
        var statements = Store.RunChildrenSql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var statement in statements.Where(s => s.Contains("FROM params", StringComparison.Ordinal)
                                                         || s.Contains("FROM tags", StringComparison.Ordinal)
                                                         || s.Contains("FROM latest_metrics", StringComparison.Ordinal)))
        {
            AssertNoFullScan(await PlanAsync(statement, new { ids }), "run children");
        }
    }

    [Fact]
    public async Task The_scan_check_itself_detects_a_full_scan()
    {
        var plan = await PlanAsync("SELECT * FROM latest_metrics WHERE step > @v", new { v = 1L });
        Assert.Throws<Xunit.Sdk.FalseException>(() => AssertNoFullScan(plan, "unindexed filter"));
    }

    [Fact]
    public async Task History_reads_use_the_block_index()
    {
        var exp = await CreateExperimentAsync();
        var run = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogBatchAsync(run, Enumerable.Range(0, 50).Select(i => new Metric("m", i, i, i)).ToList(), [], [], Ct);
        var dialect = Fixture.Database.Dialect;

        // Headers of one (run, key), with the page's timestamp bound and with a step range: one index range.
        var headers = await PlanAsync(
            "SELECT block_id, min_timestamp, max_timestamp, point_count FROM metric_blocks WHERE run_id = @runId AND key = @key AND max_timestamp >= @t",
            new { runId = run, key = "m", t = 5L });
        AssertNoFullScan(headers, "history block headers");
        if (dialect.Kind == SqlDialectKind.Sqlite)
        {
            Assert.Contains(headers, l => l.Contains("ix_metric_blocks_run_key (run_id=? AND key=?)", StringComparison.Ordinal));
        }

        // Payloads of chosen blocks: one primary-key lookup per bound id.
        var payloads = await PlanAsync(new Strata.Storage.Tracking.MetricBlockReader(dialect).PayloadSql(), new { ids = dialect.IntegerListValue([1L, 2L]) });
        AssertNoFullScan(payloads, "history block payloads");
        if (dialect.Kind == SqlDialectKind.Sqlite)
        {
            Assert.Contains(payloads, l => l.Contains("INTEGER PRIMARY KEY (rowid=?)", StringComparison.Ordinal));
        }
    }
    [Fact]
    public async Task Top_k_run_search_walks_the_order_index_and_probes_filters_by_key()
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp);
        await Store.LogBatchAsync(run.Info.RunId, [new Metric("m1", 0.7, 1, 0), new Metric("m2", 0.5, 1, 0)], [new("p1", "x")], [], Ct);
        var query = new RunQuery(
            [exp],
            [
                new Comparison(new SearchKey(KeyKind.Metric, "m1"), Comparator.Greater, new NumberValue(0.5, "0.5")),
                new Comparison(new SearchKey(KeyKind.Param, "p1"), Comparator.Equal, new StringValue("x")),
            ],
            [new OrderTerm(new SearchKey(KeyKind.Metric, "m2"), false)],
            ViewType.ACTIVE_ONLY,
            100,
            null);
        foreach (var after in new IReadOnlyList<object>?[] { null, [0L, 0.5, 10L, run.Info.RunId] })
        {
            var builder = new RunSearchSql(Fixture.Database.Dialect, [long.Parse(exp)], query, 101, after, candidates: 808);
            builder.Parameters.Add("boundary", 0.1);
            foreach (var (sql, what) in new[] { (builder.Sql, "top-k"), (builder.SqlBeforeBoundary, "top-k before boundary"), (builder.BoundarySql, "top-k boundary") })
            {
                var plan = await PlanAsync(sql, builder.Parameters);
                AssertNoFullScan(plan, what);
                if (Fixture.Database.Dialect.Kind == SqlDialectKind.Sqlite)
                {
                    // The candidates come off the order key's index in order (no sort of the experiment's runs), and
                    // no filter builds the list of every run it matches.
                    Assert.Contains(plan, l => l.Contains("ix_latest_metrics_key_value (key=? AND is_nan=?", StringComparison.Ordinal));
                    Assert.DoesNotContain(plan, l => l.Contains("LIST SUBQUERY", StringComparison.Ordinal));
                    if (sql != builder.BoundarySql)
                    {
                        Assert.Contains(plan, l => l.Contains("SEARCH r USING INDEX sqlite_autoindex_runs_1 (run_id=?)", StringComparison.Ordinal));
                        Assert.Contains(plan, l => l.Contains("SEARCH fp USING PRIMARY KEY (run_id=? AND key=?)", StringComparison.Ordinal));
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData("start_time", false, "ix_runs_experiment_start")]
    [InlineData("start_time", true, "ix_runs_experiment_start")]
    [InlineData("run_name", true, "ix_runs_experiment_name")]
    [InlineData("end_time", false, "ix_runs_experiment_end")]
    public async Task Top_k_run_search_by_an_attribute_walks_the_experiments_index(string attribute, bool ascending, string index)
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp);
        await Store.LogBatchAsync(run.Info.RunId, [new Metric("m1", 0.7, 1, 0)], [new("p1", "x")], [], Ct);
        var query = new RunQuery(
            [exp],
            [
                new Comparison(new SearchKey(KeyKind.Metric, "m1"), Comparator.Greater, new NumberValue(0.5, "0.5")),
                new Comparison(new SearchKey(KeyKind.Param, "p1"), Comparator.Equal, new StringValue("x")),
            ],
            [new OrderTerm(new SearchKey(KeyKind.Attribute, attribute), ascending)],
            ViewType.ACTIVE_ONLY,
            100,
            null);
        // A token of this order: start_time and run_name sort as (value, start_time, run_id) or (value, run_id);
        // end_time as (is null, value, start_time, run_id).
        IReadOnlyList<object> token = attribute switch
        {
            "start_time" => [10L, run.Info.RunId],
            "run_name" => ["run-x", 10L, run.Info.RunId],
            _ => [0L, 10L, 10L, run.Info.RunId],
        };
        foreach (var after in new IReadOnlyList<object>?[] { null, token })
        {
            var builder = new RunSearchSql(Fixture.Database.Dialect, [long.Parse(exp)], query, 101, after, candidates: 808);
            builder.Parameters.Add("boundary", attribute == "run_name" ? "run-y" : 5L);
            foreach (var (sql, what) in new[] { (builder.Sql, "top-k"), (builder.SqlBeforeBoundary, "top-k before boundary"), (builder.BoundarySql, "top-k boundary") })
            {
                var plan = await PlanAsync(sql, builder.Parameters);
                AssertNoFullScan(plan, $"{what} by {attribute}");
                if (Fixture.Database.Dialect.Kind == SqlDialectKind.Sqlite)
                {
                    // Candidates in index order: no sort of the experiment's runs, no list of every run a filter matches.
                    Assert.Contains(plan, l => l.Contains($"ck USING COVERING INDEX {index} (experiment_id=?", StringComparison.Ordinal));
                    Assert.DoesNotContain(plan, l => l.Contains("LIST SUBQUERY", StringComparison.Ordinal));
                    Assert.DoesNotContain(plan, l => l.Contains("TEMP B-TREE FOR ORDER BY", StringComparison.Ordinal) && sql == builder.BoundarySql);
                }
            }
        }
    }
}
