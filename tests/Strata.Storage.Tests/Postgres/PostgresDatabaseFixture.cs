using Dapper;
using Npgsql;
using Strata.Storage.Database;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Migrations;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Postgres;

/// <summary>
/// A fresh, migrated database in the run's shared cluster for one test class: the PostgreSQL
/// counterpart of <see cref="SqliteDatabaseFixture"/>, so the same test classes run on both.
/// </summary>
public class PostgresDatabaseFixture(PostgresCluster cluster) : IDatabaseFixture
{
    private PostgresDatabase? _database;

    public IDatabase Database => _database ?? throw new InvalidOperationException("Fixture not initialised.");

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        ConnectionString = await cluster.CreateDatabaseAsync();
        _database = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = ConnectionString });
        await new MigrationRunner(_database).MigrateAsync(CancellationToken.None);
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await SeedAsync(connection);
    }

    /// <summary>Runs once after the schema is in place, before any test of the class.</summary>
    protected virtual Task SeedAsync(NpgsqlConnection connection) => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>
/// For plan tests: PostgreSQL's planner costs from statistics, and on a handful of rows a sequential
/// scan is honestly cheapest. So the tables get a realistic bulk of rows of another experiment
/// (2k runs with params, tags, latest metrics and history block headers, inputs and model links) and fresh statistics before the tests add their own few rows: an
/// index the queries can use is then chosen, and a query no index serves shows "Seq Scan".
/// </summary>
public sealed class PostgresSeededDatabaseFixture(PostgresCluster cluster) : PostgresDatabaseFixture(cluster)
{
    protected override async Task SeedAsync(NpgsqlConnection connection)
    {
        const string sql = """
            WITH e AS (
                INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time)
                VALUES ('plan-filler', 'mlflow-artifacts:/filler', 'active', 0, 0) RETURNING experiment_id)
            INSERT INTO runs (run_id, experiment_id, name, user_id, status, start_time, lifecycle_stage, artifact_uri)
            SELECT md5(i::text), e.experiment_id, 'run-' || i, 'filler', 'FINISHED', i, 'active', 'mlflow-artifacts:/filler/' || i
            FROM e, generate_series(1, 2000) AS i;
            INSERT INTO params (run_id, key, value) SELECT run_id, 'p', name FROM runs WHERE user_id = 'filler';
            INSERT INTO tags (run_id, key, value) SELECT run_id, 't', name FROM runs WHERE user_id = 'filler';
            INSERT INTO metric_blocks (run_id, key, min_step, max_step, min_timestamp, max_timestamp, point_count, payload)
            SELECT r.run_id, k, 1, 10, 1, 10, 10, '\x01'::bytea FROM runs r, unnest(ARRAY['acc', 'loss']) AS k WHERE r.user_id = 'filler';
            INSERT INTO latest_metrics (run_id, key, value, timestamp, step, is_nan)
            SELECT r.run_id, k, 1.0, 10, 10, 0 FROM runs r, unnest(ARRAY['acc', 'loss']) AS k WHERE r.user_id = 'filler';
            INSERT INTO datasets (experiment_id, name, digest, source_type, source)
            SELECT experiment_id, 'ds-' || i, md5(i::text), 'local', 's3://filler/' || i
            FROM experiments, generate_series(1, 200) AS i WHERE name = 'plan-filler';
            INSERT INTO inputs (run_id, dataset_id)
            SELECT r.run_id, d.dataset_id FROM runs r JOIN datasets d ON d.name = 'ds-' || (1 + (r.start_time % 200)) WHERE r.user_id = 'filler';
            INSERT INTO input_tags (run_id, dataset_id, key, value) SELECT run_id, dataset_id, 'mlflow.data.context', 'training' FROM inputs;
            INSERT INTO run_model_inputs (run_id, model_id) SELECT run_id, 'm-' || md5(run_id) FROM runs WHERE user_id = 'filler';
            INSERT INTO run_model_outputs (run_id, model_id, step) SELECT run_id, 'm-' || md5(run_id), 0 FROM runs WHERE user_id = 'filler';
            ANALYZE
            """;
        await connection.ExecuteAsync(sql);
    }
}
