using Dapper;
using Strata.Core.Traces;
using Strata.Storage.Database;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;
using Strata.Storage.Traces;

namespace Strata.Storage.Tests.Traces;

public sealed class SqliteTraceQueryPlanTests(SqliteDatabaseFixture fixture) : TraceQueryPlanTests<SqliteDatabaseFixture>(fixture)
{
    protected override string ExplainPrefix => "EXPLAIN QUERY PLAN ";

    // "USE TEMP B-TREE FOR ORDER BY" is a sort of every matching row; a plan served by the index has none.
    protected override bool IsSort(string planLine) => planLine.Contains("TEMP B-TREE", StringComparison.Ordinal);

    protected override bool IsFullScan(string planLine) => planLine.StartsWith("SCAN ", StringComparison.Ordinal);

    // SQLite plans without statistics: a few rows show the same plan as many.
    protected override Task SeedAsync(string experimentId, int count) =>
        Fixture.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @count)
            INSERT INTO trace_info (trace_id, experiment_id, timestamp_ms, execution_time_ms, state)
            SELECT 'tr-plan-' || @experimentId || '-' || i, @experimentId, i % 97, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 89 END, 'OK' FROM n
            """, new { count, experimentId = long.Parse(experimentId) }, tx, cancellationToken: ct)), Ct);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTraceQueryPlanTests(PostgresDatabaseFixture fixture) : TraceQueryPlanTests<PostgresDatabaseFixture>(fixture)
{
    protected override string ExplainPrefix => "EXPLAIN ";

    // A plan served by the index has no Sort node (an Incremental Sort counts too: it sorts).
    protected override bool IsSort(string planLine) => planLine.Contains("Sort", StringComparison.Ordinal);

    protected override bool IsFullScan(string planLine) => planLine.Contains("Seq Scan on trace_info", StringComparison.Ordinal);

    // With fresh statistics over enough rows, as on a real server (on a handful a sequential scan is honestly cheapest).
    protected override async Task SeedAsync(string experimentId, int count)
    {
        await Fixture.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO trace_info (trace_id, experiment_id, timestamp_ms, execution_time_ms, state)
            SELECT 'tr-plan-' || @experimentId || '-' || i, @experimentId, i % 97, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 89 END, 'OK'
            FROM generate_series(1, @count) AS i
            """, new { count, experimentId = long.Parse(experimentId) }, tx, cancellationToken: ct)), Ct);
        await Fixture.Database.ReadAsync((c, ct) => c.ExecuteAsync(new CommandDefinition("ANALYZE trace_info", cancellationToken: ct)), Ct);
    }

    protected override Task AnalyzePairsAsync() =>
        Fixture.Database.ReadAsync((c, ct) => c.ExecuteAsync(new CommandDefinition("ANALYZE trace_tags; ANALYZE trace_request_metadata", cancellationToken: ct)), Ct);
}

/// <summary>
/// Every trace ordering MLflow clients send is read from an index in its own order (no sort of the experiment's
/// traces), on the first page and on a page resumed from a keyset token: M0014's indexes and the default one.
/// </summary>
public abstract class TraceQueryPlanTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    protected abstract string ExplainPrefix { get; }

    protected abstract bool IsSort(string planLine);

    protected abstract bool IsFullScan(string planLine);

    protected abstract Task SeedAsync(string experimentId, int count);

    protected virtual Task AnalyzePairsAsync() => Task.CompletedTask;

    /// <summary>
    /// M0019 keys the pair indexes (key, value) and leaves the artifact location out of the tag index: a filter on any
    /// other tag, and on metadata, must still be read from them (the tag filter repeats the partial index's condition).
    /// </summary>
    [Theory]
    [InlineData("tags.team = 'team-3'", "ix_trace_tags_key_value")]
    [InlineData("metadata.`mlflow.sourceRun` = 'run-3'", "ix_trace_request_metadata_key_value")]
    public async Task Tag_and_metadata_filters_read_their_key_value_index(string filter, string index)
    {
        var experimentId = await CreateExperimentAsync();
        await SeedAsync(experimentId, 20_000);
        await Fixture.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO trace_tags (trace_id, key, value)
            SELECT trace_id, 'team', 'team-' || (timestamp_ms % 50) FROM trace_info WHERE experiment_id = @experimentId
            UNION ALL
            SELECT trace_id, 'mlflow.artifactLocation', 'mlflow-artifacts:/x/traces/' || trace_id || '/artifacts' FROM trace_info WHERE experiment_id = @experimentId;
            INSERT INTO trace_request_metadata (trace_id, key, value)
            SELECT trace_id, 'mlflow.sourceRun', 'run-' || (timestamp_ms % 50) FROM trace_info WHERE experiment_id = @experimentId
            """, new { experimentId = long.Parse(experimentId) }, tx, cancellationToken: ct)), Ct);
        await AnalyzePairsAsync();
        var query = new TraceQuery([experimentId], TraceSearch.ParseFilter(filter), TraceSearch.ParseOrderBy([]), 100, null);
        var sql = new TraceSearchSql(Fixture.Database.Dialect, [long.Parse(experimentId)], query, 101, null);
        var plan = await PlanAsync(sql);
        Assert.Contains(plan, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"\b{index}\b"));

        // And the filter still finds what it should: a full page of its traces.
        var store = new TraceStore(Fixture.Database);
        Assert.Equal(100, (await store.SearchTracesAsync(query, Ct)).Items.Count);

        // The artifact location is not in the tag index, and a filter on it still finds its one trace.
        var byLocation = new TraceQuery(
            [experimentId], TraceSearch.ParseFilter($"tags.`mlflow.artifactLocation` = 'mlflow-artifacts:/x/traces/tr-plan-{experimentId}-7/artifacts'"),
            TraceSearch.ParseOrderBy([]), 100, null);
        Assert.Equal($"tr-plan-{experimentId}-7", Assert.Single((await store.SearchTracesAsync(byLocation, Ct)).Items).TraceId);
    }

    [Theory]
    [InlineData("timestamp_ms DESC", "ix_trace_info_experiment_time")]
    [InlineData("timestamp_ms ASC", "ix_trace_info_experiment_time_asc")]
    [InlineData("execution_time_ms DESC", "ix_trace_info_experiment_duration_desc")]
    [InlineData("execution_time_ms ASC", "ix_trace_info_experiment_duration_asc")]
    public async Task Orderings_read_their_index_in_order_on_every_page(string orderBy, string index)
    {
        var experimentId = await CreateExperimentAsync();
        await SeedAsync(experimentId, 20_000);
        var query = new TraceQuery([experimentId], [], TraceSearch.ParseOrderBy([orderBy]), 100, null);

        var first = new TraceSearchSql(Fixture.Database.Dialect, [long.Parse(experimentId)], query, 101, null);
        await AssertServedByIndexAsync(first, index, orderBy + " first page");

        // A token taken from a real page, so the keyset values have the types the store writes.
        var page = await new TraceStore(Fixture.Database).SearchTracesAsync(query, Ct);
        var token = Strata.Storage.Tracking.PageToken.Decode(page.NextPageToken, Strata.Storage.Tracking.SearchSqlBuilder.Fingerprint("traces", query.ExperimentIds, query.Filter, query.OrderBy));
        var resumed = new TraceSearchSql(Fixture.Database.Dialect, [long.Parse(experimentId)], query, 101, token!.Keys);
        await AssertServedByIndexAsync(resumed, index, orderBy + " keyset page");
    }

    private async Task<List<string>> PlanAsync(TraceSearchSql sql)
    {
        var rows = await Fixture.Database.ReadAsync(
            async (c, ct) => (await c.QueryAsync(new CommandDefinition(ExplainPrefix + sql.Sql, sql.Parameters, cancellationToken: ct))).ToList(), Ct);
        var plan = rows.Select(r => (string)(((IDictionary<string, object>)r).TryGetValue("detail", out var d) ? d : ((IDictionary<string, object>)r)["QUERY PLAN"])).ToList();
        Console.WriteLine($"[plan] {string.Join(" | ", plan)}");
        return plan;
    }

    private async Task AssertServedByIndexAsync(TraceSearchSql sql, string index, string what)
    {
        var plan = await PlanAsync(sql);
        var text = string.Join(" | ", plan);
        Console.WriteLine($"[plan] {what}: {text}");
        Assert.Contains(plan, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"\b{index}\b"));
        Assert.DoesNotContain(plan, l => IsSort(l.Trim()));
        Assert.DoesNotContain(plan, l => IsFullScan(l.Trim()));
    }
}
