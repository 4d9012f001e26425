using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteMetricBlocksMigrationTests : MetricBlocksMigrationTests, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-blocks-migration-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    protected override async Task<IDatabase> OpenEmptyAsync() => await SqliteDatabase.OpenAsync(Path.Combine(_dir, "strata.db"));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresMetricBlocksMigrationTests(PostgresCluster cluster) : MetricBlocksMigrationTests
{
    protected override async Task<IDatabase> OpenEmptyAsync() =>
        PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = await cluster.CreateDatabaseAsync() });
}

/// <summary>
/// History written by the per-row schema (migrations 1-5) reads back unchanged after migration 9 converts it to
/// blocks, also when the conversion dies part-way (inside a batch's transaction, and between batches) and a
/// later start resumes it.
/// </summary>
public abstract class MetricBlocksMigrationTests
{
    protected abstract Task<IDatabase> OpenEmptyAsync();

    /// <summary>Migration 9's SQL alone, so the test decides when and how its data move runs.</summary>
    private sealed class SchemaOnly(IMigration inner) : IMigration
    {
        public int Version => inner.Version;

        public string Name => inner.Name;

        public string Sql(SqlDialectKind dialect) => inner.Sql(dialect);
    }

    private static async Task<(MetricHistoryReference Reference, List<string> Runs, int Rows)> WriteOldRowsAsync(IDatabase database)
    {
        var random = new Random(17);
        var reference = new MetricHistoryReference();
        var runs = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var rows = new List<object>();
        foreach (var run in runs)
        {
            foreach (var key in new[] { "loss", "acc" })
            {
                var points = new List<Metric>();
                var count = run == runs[0] && key == "loss" ? 1300 : random.Next(0, 90);
                for (var i = 0; i < count; i++)
                {
                    var value = random.Next(10) switch { 0 => double.NaN, 1 => double.PositiveInfinity, 2 => double.NegativeInfinity, _ => random.Next(100) / 7.0 };
                    points.Add(new Metric(key, value, 1_000 + random.Next(count), random.Next(-3, count), null,
                        random.Next(5) == 0 ? "m-1" : null, random.Next(9) == 0 ? "ds" : null, null));
                }

                reference.Log(run, points);
                rows.AddRange(points.Select(m => new
                {
                    run, m.Key, m.Timestamp, m.Step, Value = double.IsNaN(m.Value) ? 0d : m.Value, IsNan = double.IsNaN(m.Value) ? 1 : 0,
                    m.ModelId, m.DatasetName, m.DatasetDigest,
                }));
            }
        }

        var inserted = await database.WriteAsync(
            async (c, tx, ct) =>
            {
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES ('old', 'a', 'active', 0, 0)",
                    transaction: tx, cancellationToken: ct));
                var exp = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT experiment_id FROM experiments WHERE name = 'old'", transaction: tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri) VALUES (@run, @exp, @run, 'u', 'RUNNING', 0, 'active', 'a')",
                    runs.Select(run => new { run, exp }), tx, cancellationToken: ct));
                // The old writer's statement: exact duplicates dropped by the history key.
                return await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO metrics (run_id, key, timestamp, step, value, is_nan, model_id, dataset_name, dataset_digest) " +
                    "VALUES (@run, @Key, @Timestamp, @Step, @Value, @IsNan, @ModelId, @DatasetName, @DatasetDigest) ON CONFLICT DO NOTHING",
                    rows, tx, cancellationToken: ct));
            },
            default);
        return (reference, runs, inserted);
    }

    private static async Task AssertHistoriesAsync(IDatabase database, MetricHistoryReference reference, List<string> runs)
    {
        var store = new TrackingStore(database);
        foreach (var run in runs)
        {
            foreach (var key in new[] { "loss", "acc" })
            {
                var expected = reference.History(run, key);
                MetricHistoryReference.AssertSame(expected, (await store.GetMetricHistoryAsync(run, key, null, null, default)).Items, $"{run}/{key}");
                var walked = new List<Metric>();
                string? token = null;
                do
                {
                    var page = await store.GetMetricHistoryAsync(run, key, 100, token, default);
                    walked.AddRange(page.Items);
                    token = page.NextPageToken;
                }
                while (token is not null);

                MetricHistoryReference.AssertSame(expected, walked, $"{run}/{key} paged");
            }
        }

        var bulk = await store.GetMetricHistoryBulkIntervalAsync(runs, "loss", null, null, 50, default);
        MetricHistoryReference.AssertSame(reference.BulkInterval(runs, "loss", null, null, 50), bulk, "bulk");
    }

    private static Task<bool> TableExistsAsync(IDatabase database, string table) =>
        database.ReadAsync(
            async (c, ct) => await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                database.Dialect.Kind == SqlDialectKind.Sqlite
                    ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = @table"
                    : "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = @table",
                new { table }, cancellationToken: ct)) is not null,
            default);

    [Fact]
    public async Task Rows_of_the_old_schema_read_back_unchanged_after_the_migration()
    {
        await using var database = await OpenEmptyAsync();
        await new MigrationRunner(database, MigrationRunner.All.Where(m => m.Version <= 5).ToList()).MigrateAsync(default);
        var (reference, runs, rows) = await WriteOldRowsAsync(database);
        Assert.True(rows > 1300);

        await new MigrationRunner(database).MigrateAsync(default);

        Assert.False(await TableExistsAsync(database, "metrics"));
        Assert.False(await TableExistsAsync(database, "metric_history_conversion"));
        var stored = await database.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT SUM(point_count) FROM metric_blocks", cancellationToken: ct)), default);
        Assert.Equal(rows, stored);
        await AssertHistoriesAsync(database, reference, runs);
    }

    [Fact]
    public async Task A_conversion_that_dies_part_way_resumes_on_the_next_start()
    {
        await using var database = await OpenEmptyAsync();
        await new MigrationRunner(database, MigrationRunner.All.Where(m => m.Version <= 5).ToList()).MigrateAsync(default);
        var (reference, runs, rows) = await WriteOldRowsAsync(database);
        var schemaOnly = MigrationRunner.All.Where(m => m.Version <= 5).Append(new SchemaOnly(MigrationRunner.All.Single(m => m.Version == 9))).ToList();
        await new MigrationRunner(database, schemaOnly).MigrateAsync(default);

        // Two batches commit, then the third dies inside its transaction: its blocks must not survive.
        var crashing = new MetricHistoryConversion(database, NullLogger.Instance)
        {
            RowsPerBatch = 97,
            AfterBatchWritten = (batch, _) => batch == 2 ? throw new IOException("simulated crash") : Task.CompletedTask,
        };
        await Assert.ThrowsAsync<IOException>(() => crashing.RunAsync(default));
        var afterCrash = await database.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COALESCE(SUM(point_count), 0) FROM metric_blocks", cancellationToken: ct)), default);
        Assert.Equal(2 * 97, afterCrash);

        // Another start stops between batches (a kill after a commit).
        await new MetricHistoryConversion(database, NullLogger.Instance) { RowsPerBatch = 101, MaxBatches = 3 }.RunAsync(default);
        Assert.True(await TableExistsAsync(database, "metrics"));

        // The real start finishes the move: nothing lost, nothing twice.
        await new MigrationRunner(database).MigrateAsync(default);
        Assert.False(await TableExistsAsync(database, "metrics"));
        var stored = await database.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT SUM(point_count) FROM metric_blocks", cancellationToken: ct)), default);
        Assert.Equal(rows, stored);
        await AssertHistoriesAsync(database, reference, runs);

        // And later starts find nothing left to do.
        Assert.Equal(0, await new MigrationRunner(database).MigrateAsync(default));
    }
}
