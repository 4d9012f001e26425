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

    private async Task AssertServedByIndexAsync(TraceSearchSql sql, string index, string what)
    {
        var rows = await Fixture.Database.ReadAsync(
            async (c, ct) => (await c.QueryAsync(new CommandDefinition(ExplainPrefix + sql.Sql, sql.Parameters, cancellationToken: ct))).ToList(), Ct);
        var plan = rows.Select(r => (string)(((IDictionary<string, object>)r).TryGetValue("detail", out var d) ? d : ((IDictionary<string, object>)r)["QUERY PLAN"])).ToList();
        var text = string.Join(" | ", plan);
        Console.WriteLine($"[plan] {what}: {text}");
        Assert.Contains(plan, l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"\b{index}\b"));
        Assert.DoesNotContain(plan, l => IsSort(l.Trim()));
        Assert.DoesNotContain(plan, l => IsFullScan(l.Trim()));
    }
}
