using Dapper;
using Strata.Storage.Database;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Migrations;

namespace Strata.Storage.Tests.Postgres;

/// <summary>Replicas starting at once against one empty database must migrate it exactly once.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresMigrationTests(PostgresCluster cluster) : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync() => _connectionString = await cluster.CreateDatabaseAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Concurrent_runners_apply_each_migration_once()
    {
        // Plain CREATE TABLE (no IF NOT EXISTS) and an INSERT: applying either twice would fail or double-count.
        IReadOnlyList<IMigration> migrations =
        [
            new TestMigration(1, "first", "CREATE TABLE applied_log (migration INTEGER NOT NULL); CREATE TABLE one (id INTEGER PRIMARY KEY); INSERT INTO applied_log VALUES (1)"),
            new TestMigration(2, "second", "CREATE TABLE two (id INTEGER PRIMARY KEY); INSERT INTO applied_log VALUES (2); SELECT pg_sleep(0.05)"),
            new TestMigration(3, "third", "ALTER TABLE one ADD COLUMN name TEXT NOT NULL DEFAULT ''; INSERT INTO applied_log VALUES (3)"),
        ];

        const int replicas = 5;
        var databases = Enumerable.Range(0, replicas).Select(_ => PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = _connectionString })).ToList();
        try
        {
            using var start = new Barrier(replicas);
            var applied = await Task.WhenAll(databases.Select(db => Task.Run(() =>
            {
                start.SignalAndWait();
                return new MigrationRunner(db, migrations).MigrateAsync(CancellationToken.None);
            })));

            Assert.Equal(migrations.Count, applied.Sum());
            var log = await databases[0].ReadAsync((c, ct) => c.QueryAsync<int>(new CommandDefinition("SELECT migration FROM applied_log ORDER BY migration", cancellationToken: ct)), default);
            Assert.Equal([1, 2, 3], log);
            var versions = await databases[0].ReadAsync((c, ct) => c.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations ORDER BY version", cancellationToken: ct)), default);
            Assert.Equal([1, 2, 3], versions);
        }
        finally
        {
            foreach (var db in databases)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Concurrent_runners_apply_the_real_schema_once()
    {
        const int replicas = 4;
        var databases = Enumerable.Range(0, replicas).Select(_ => PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = _connectionString })).ToList();
        try
        {
            var applied = await Task.WhenAll(databases.Select(db => Task.Run(() => new MigrationRunner(db).MigrateAsync(CancellationToken.None))));

            Assert.Equal(MigrationRunner.All.Count, applied.Sum());
            Assert.Equal(MigrationRunner.LatestVersion, await new MigrationRunner(databases[0]).CurrentVersionAsync(default));
            Assert.Equal(0, await new MigrationRunner(databases[1]).MigrateAsync(default));
        }
        finally
        {
            foreach (var db in databases)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_failing_migration_leaves_no_trace_and_stops_the_run()
    {
        await using var db = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = _connectionString });
        IReadOnlyList<IMigration> migrations =
        [
            new TestMigration(1, "ok", "CREATE TABLE ok (id INTEGER)"),
            new TestMigration(2, "broken", "CREATE TABLE half (id INTEGER); SELECT no_such_function()"),
        ];

        await Assert.ThrowsAnyAsync<Exception>(() => new MigrationRunner(db, migrations).MigrateAsync(default));

        Assert.Equal(1, await new MigrationRunner(db, migrations).CurrentVersionAsync(default));
        var half = await db.ReadAsync((c, ct) => c.ExecuteScalarAsync<string?>(new CommandDefinition("SELECT to_regclass('half')::text", cancellationToken: ct)), default);
        Assert.Null(half);
    }

    private sealed record TestMigration(int Version, string Name, string Statements) : IMigration
    {
        public string Sql(SqlDialectKind dialect) => Statements;
    }
}
