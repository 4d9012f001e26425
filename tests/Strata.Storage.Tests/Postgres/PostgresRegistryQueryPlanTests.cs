using Dapper;
using Strata.Core.Registry;
using Strata.Core.Search;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Migrations;
using Strata.Storage.Tests.Registry;

namespace Strata.Storage.Tests.Postgres;

/// <summary>
/// The registry searches on PostgreSQL, with a realistic bulk of models and versions and fresh
/// statistics (on a few rows a sequential scan is honestly cheapest): each must read through an
/// index, and the unfiltered listing must come out of its index already ordered.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistryQueryPlanTests(PostgresCluster cluster) : IAsyncLifetime
{
    private PostgresDatabase _database = null!;
    private RegistryFixture _f = null!;

    public async Task InitializeAsync()
    {
        _database = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = await cluster.CreateDatabaseAsync() });
        await new MigrationRunner(_database).MigrateAsync(CancellationToken.None);
        _f = RegistryFixture.OnSharedDatabase(_database);
        await _f.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO registered_models (name, creation_timestamp, last_updated_timestamp, last_version)
            SELECT 'filler-' || i, i, i, 5 FROM generate_series(1, 2000) AS i;
            INSERT INTO model_versions (name, version, creation_timestamp, last_updated_timestamp, current_stage, source, run_id, status)
            SELECT 'filler-' || i, v, i * 10 + v, i * 10 + v, 'None', 's3://filler/' || i || '/' || v, md5(i::text || v), 'READY'
            FROM generate_series(1, 2000) AS i, generate_series(1, 5) AS v;
            INSERT INTO registered_model_tags (name, key, value) SELECT name, 'team', 'filler' FROM registered_models
            """, transaction: tx, cancellationToken: ct)), default);
        await _f.Database.ReadAsync((c, ct) => c.ExecuteAsync(new CommandDefinition("ANALYZE registered_models, model_versions, registered_model_tags", cancellationToken: ct)), default);
    }

    public async Task DisposeAsync()
    {
        await _f.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Theory]
    [InlineData(null, "ix_model_versions_updated")]
    [InlineData("name = 'filler-7'", "model_versions_pkey|ix_model_versions_stage")] // both lead with name
    [InlineData("run_id = 'r'", "ix_model_versions_run")]
    public async Task Model_version_searches_use_an_index(string? filter, string indexes)
    {
        var (sql, builder) = _f.Store.ModelVersionSearchCommand(new ModelVersionQuery(SearchFilterParser.Parse(filter, SearchTarget.ModelVersions), [], 100, null), 0);
        var plan = await PlanAsync(sql, builder.Parameters);
        Assert.Contains(indexes.Split('|'), index => plan.Contains(index, StringComparison.Ordinal));
        Assert.DoesNotContain("Seq Scan on model_versions", plan, StringComparison.Ordinal);
        if (filter is null)
        {
            Assert.DoesNotContain("Sort Key", plan, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("name = 'filler-7'")]
    public async Task Registered_model_searches_use_an_index(string? filter)
    {
        var (sql, builder) = _f.Store.RegisteredModelSearchCommand(new RegisteredModelQuery(SearchFilterParser.Parse(filter, SearchTarget.RegisteredModels), [], 100, null), 0);
        var plan = await PlanAsync(sql, builder.Parameters);
        Assert.DoesNotContain("Seq Scan on registered_models", plan, StringComparison.Ordinal);
    }

    private Task<string> PlanAsync(string sql, object parameters) =>
        _f.Database.ReadAsync(async (c, ct) =>
        {
            var plan = string.Join("\n", await c.QueryAsync<string>(new CommandDefinition("EXPLAIN " + sql, parameters, cancellationToken: ct)));
            Console.WriteLine($"[plan] {sql}\n{plan}");
            return plan;
        }, default);
}
