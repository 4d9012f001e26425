using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Postgres;

// The tracking suites written against IDatabaseFixture, run a second time on PostgreSQL.

[Collection(PostgresCollection.Name)]
public sealed class PostgresTrackingStoreTests(PostgresDatabaseFixture fixture) : TrackingStoreTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresSearchRunsTests(PostgresDatabaseFixture fixture) : SearchRunsTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresParsedSearchTests(PostgresDatabaseFixture fixture) : ParsedSearchTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresSearchOrderModelTests(PostgresDatabaseFixture fixture) : SearchOrderModelTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresSearchExperimentsAndModelsTests(PostgresDatabaseFixture fixture) : SearchExperimentsAndModelsTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresMetricHistoryTests(PostgresDatabaseFixture fixture) : MetricHistoryTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreConcurrencyTests(PostgresDatabaseFixture fixture) : ConcurrencyTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresQueryPlanTests(PostgresSeededDatabaseFixture fixture) : QueryPlanTests<PostgresSeededDatabaseFixture>(fixture)
{
    protected override string ExplainPrefix => "EXPLAIN ";

    // One row per plan node; a node reading a whole table is a "Seq Scan on <table>". Scans of the
    // bound list (unnest) are "Function Scan" and fine.
    protected override bool IsFullScan(string planLine) => planLine.Contains("Seq Scan on ", StringComparison.Ordinal);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMetricHistoryCorpusTests(PostgresDatabaseFixture fixture) : MetricHistoryCorpusTests<PostgresDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresSearchTopKTests(PostgresDatabaseFixture fixture) : SearchTopKTests<PostgresDatabaseFixture>(fixture);
