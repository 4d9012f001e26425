using Dapper;
using Strata.Storage.Database;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;
using Strata.Storage.Serving;
using Strata.Storage.Tests.Postgres;

namespace Strata.Storage.Tests.Serving;

public sealed class SqlitePredictionLogMigrationTests : PredictionLogMigrationTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-predlog-migration-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    protected override async Task<IDatabase> OpenEmptyAsync() => await SqliteDatabase.OpenAsync(Path.Combine(_dir, "strata.db"));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresPredictionLogMigrationTests(PostgresCluster cluster) : PredictionLogMigrationTests
{
    protected override async Task<IDatabase> OpenEmptyAsync() =>
        PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = await cluster.CreateDatabaseAsync() });
}

/// <summary>Rows of the one-row-per-request log (migration 3) survive the move to segments (migration 5) unchanged.</summary>
public abstract class PredictionLogMigrationTests
{
    protected abstract Task<IDatabase> OpenEmptyAsync();

    [Fact]
    public async Task Rows_logged_before_segments_are_read_back_unchanged()
    {
        await using var database = await OpenEmptyAsync();
        await new MigrationRunner(database, MigrationRunner.All.Where(m => m.Version <= 4).ToList()).MigrateAsync(default);
        PredictionLogRecord[] old =
        [
            new("old-1", "houses", "3", 1_000, 120, 200, "mlflow", """{"inputs": {"x": [1.5]}}""", """{"predictions": [2.5]}""", null),
            new("old-2", "houses", "3", 1_001, 90, 400, "v2", "a,b\n\"x, y\",2", null, "bad input: é 中文 'quoted' \\ back"),
            new("old-3", "weather", "1", 1_002, 75, 200, "mlflow", "", "[]", null),
        ];
        await database.WriteAsync(
            (c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO prediction_log (request_id, model_name, model_version, timestamp_ms, latency_us, status_code, protocol, inputs, outputs, error_message) "
                + "VALUES (@RequestId, @ModelName, @ModelVersion, @TimestampMs, @LatencyMicroseconds, @StatusCode, @Protocol, @Inputs, @Outputs, @ErrorMessage)",
                old, tx, cancellationToken: ct)),
            default);

        Assert.Equal(MigrationRunner.All.Count(m => m.Version > 4), await new MigrationRunner(database).MigrateAsync(default));

        var store = new PredictionLogStore(database);
        var all = (await store.SearchAsync(new PredictionLogQuery(), default)).Records;
        Assert.Equal(old.Reverse(), all.Select(r => r with { LogId = 0 }));
        var houses = (await store.SearchAsync(new PredictionLogQuery { ModelName = "houses", ModelVersion = "3" }, default)).Records;
        Assert.Equal(["old-2", "old-1"], houses.Select(r => r.RequestId));
        var tables = await database.ReadAsync(
            (c, ct) => c.QueryAsync<string>(new CommandDefinition(
                database.Dialect.Kind == SqlDialectKind.Sqlite
                    ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'prediction_log%'"
                    : "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'prediction_log%'",
                cancellationToken: ct)),
            default);
        Assert.Equal(["prediction_log_segments"], tables);
    }
}
