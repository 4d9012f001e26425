using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Experiments, runs, params, tags, metric history and latest values, datasets and inputs,
/// logged models. Both dialects share table and column names, so every query above is shared.
/// </summary>
/// <remarks>
/// Choices that matter for speed:
/// <list type="bullet">
/// <item><c>metrics</c> is keyed by (run, key, timestamp, step, value, is_nan): that key both drops exact
/// duplicates and is the order of a history read, so the read is one range scan (clustered on SQLite,
/// WITHOUT ROWID). A second index (run, key, step) serves bulk-interval reads by step; it covers every
/// column (on SQLite a WITHOUT ROWID index carries the key columns anyway; the three nullable ones are
/// added) because SQLite's planner, without statistics, otherwise prefers the (run, key) prefix of the
/// primary key and walks the whole history for each sampled step.</item>
/// <item><c>metrics</c> and <c>latest_metrics</c> carry no foreign key to <c>runs</c>: the store checks the
/// run inside the same write transaction, and a per-row FK probe would cost every inserted point.</item>
/// <item>Experiment ids never come back after a purge: AUTOINCREMENT on SQLite (a plain INTEGER PRIMARY KEY
/// would hand out the purged maximum again), an identity column on PostgreSQL.</item>
/// <item>NaN is stored as value 0 with <c>is_nan = 1</c> (SQLite cannot store NaN; it would become NULL);
/// ±Infinity are stored as they are by both engines.</item>
/// </list>
/// </remarks>
public sealed class M0001_Tracking : IMigration
{
    public int Version => 1;

    public string Name => "tracking";

    public string Sql(SqlDialectKind dialect) => dialect switch
    {
        SqlDialectKind.Sqlite => Sqlite,
        SqlDialectKind.Postgres => Postgres,
        _ => throw new ArgumentOutOfRangeException(nameof(dialect), dialect, null),
    };

    private const string Sqlite = """
        CREATE TABLE experiments (
            experiment_id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            artifact_location TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            creation_time INTEGER NOT NULL,
            last_update_time INTEGER NOT NULL,
            CONSTRAINT uq_experiments_name UNIQUE (name)
        );
        CREATE INDEX ix_experiments_creation ON experiments (creation_time, experiment_id);

        CREATE TABLE experiment_tags (
            experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (experiment_id, key)
        ) WITHOUT ROWID;

        CREATE TABLE runs (
            run_id TEXT NOT NULL PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
            name TEXT NOT NULL,
            user_id TEXT NOT NULL,
            status TEXT NOT NULL,
            start_time INTEGER NOT NULL,
            end_time INTEGER,
            lifecycle_stage TEXT NOT NULL,
            artifact_uri TEXT NOT NULL,
            deleted_time INTEGER
        );
        CREATE INDEX ix_runs_experiment_start ON runs (experiment_id, start_time DESC, run_id);

        CREATE TABLE params (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;

        CREATE TABLE tags (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;

        CREATE TABLE metrics (
            run_id TEXT NOT NULL,
            key TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            is_nan INTEGER NOT NULL,
            model_id TEXT,
            dataset_name TEXT,
            dataset_digest TEXT,
            PRIMARY KEY (run_id, key, timestamp, step, value, is_nan)
        ) WITHOUT ROWID;
        CREATE INDEX ix_metrics_step ON metrics (run_id, key, step, model_id, dataset_name, dataset_digest);

        CREATE TABLE latest_metrics (
            run_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value REAL NOT NULL,
            timestamp INTEGER NOT NULL,
            step INTEGER NOT NULL,
            is_nan INTEGER NOT NULL,
            PRIMARY KEY (run_id, key)
        ) WITHOUT ROWID;

        CREATE TABLE datasets (
            dataset_id INTEGER PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            source_type TEXT NOT NULL,
            source TEXT NOT NULL,
            dataset_schema TEXT,
            profile TEXT,
            CONSTRAINT uq_datasets UNIQUE (experiment_id, name, digest)
        );

        CREATE TABLE inputs (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            dataset_id INTEGER NOT NULL REFERENCES datasets (dataset_id),
            PRIMARY KEY (run_id, dataset_id)
        ) WITHOUT ROWID;
        CREATE INDEX ix_inputs_dataset ON inputs (dataset_id);

        CREATE TABLE input_tags (
            run_id TEXT NOT NULL,
            dataset_id INTEGER NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, dataset_id, key),
            FOREIGN KEY (run_id, dataset_id) REFERENCES inputs (run_id, dataset_id)
        ) WITHOUT ROWID;

        CREATE TABLE run_model_inputs (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            model_id TEXT NOT NULL,
            PRIMARY KEY (run_id, model_id)
        ) WITHOUT ROWID;

        CREATE TABLE run_model_outputs (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            model_id TEXT NOT NULL,
            step INTEGER NOT NULL,
            PRIMARY KEY (run_id, model_id, step)
        ) WITHOUT ROWID;

        CREATE TABLE logged_models (
            model_id TEXT NOT NULL PRIMARY KEY,
            experiment_id INTEGER NOT NULL REFERENCES experiments (experiment_id),
            name TEXT NOT NULL,
            artifact_uri TEXT NOT NULL,
            status TEXT NOT NULL,
            status_message TEXT,
            creation_timestamp_ms INTEGER NOT NULL,
            last_updated_timestamp_ms INTEGER NOT NULL,
            creator_id TEXT,
            model_type TEXT,
            source_run_id TEXT,
            lifecycle_stage TEXT NOT NULL
        );
        CREATE INDEX ix_logged_models_experiment ON logged_models (experiment_id, creation_timestamp_ms DESC, model_id);

        CREATE TABLE logged_model_params (
            model_id TEXT NOT NULL REFERENCES logged_models (model_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (model_id, key)
        ) WITHOUT ROWID;

        CREATE TABLE logged_model_tags (
            model_id TEXT NOT NULL REFERENCES logged_models (model_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (model_id, key)
        ) WITHOUT ROWID;

        CREATE TABLE logged_model_metrics (
            model_id TEXT NOT NULL,
            key TEXT NOT NULL,
            run_id TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            is_nan INTEGER NOT NULL,
            dataset_name TEXT,
            dataset_digest TEXT,
            PRIMARY KEY (model_id, key, run_id, timestamp, step, value, is_nan)
        ) WITHOUT ROWID;
        """;

    private const string Postgres = """
        CREATE TABLE experiments (
            experiment_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name TEXT NOT NULL,
            artifact_location TEXT NOT NULL,
            lifecycle_stage TEXT NOT NULL,
            creation_time BIGINT NOT NULL,
            last_update_time BIGINT NOT NULL,
            CONSTRAINT uq_experiments_name UNIQUE (name)
        );
        CREATE INDEX ix_experiments_creation ON experiments (creation_time, experiment_id);

        CREATE TABLE experiment_tags (
            experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (experiment_id, key)
        );

        CREATE TABLE runs (
            run_id TEXT NOT NULL PRIMARY KEY,
            experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
            name TEXT NOT NULL,
            user_id TEXT NOT NULL,
            status TEXT NOT NULL,
            start_time BIGINT NOT NULL,
            end_time BIGINT,
            lifecycle_stage TEXT NOT NULL,
            artifact_uri TEXT NOT NULL,
            deleted_time BIGINT
        );
        CREATE INDEX ix_runs_experiment_start ON runs (experiment_id, start_time DESC, run_id);

        CREATE TABLE params (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, key)
        );

        CREATE TABLE tags (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, key)
        );

        CREATE TABLE metrics (
            run_id TEXT NOT NULL,
            key TEXT NOT NULL,
            timestamp BIGINT NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            is_nan INTEGER NOT NULL,
            model_id TEXT,
            dataset_name TEXT,
            dataset_digest TEXT,
            PRIMARY KEY (run_id, key, timestamp, step, value, is_nan)
        );
        CREATE INDEX ix_metrics_step ON metrics (run_id, key, step) INCLUDE (timestamp, value, is_nan, model_id, dataset_name, dataset_digest);

        CREATE TABLE latest_metrics (
            run_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            timestamp BIGINT NOT NULL,
            step BIGINT NOT NULL,
            is_nan INTEGER NOT NULL,
            PRIMARY KEY (run_id, key)
        );

        CREATE TABLE datasets (
            dataset_id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
            name TEXT NOT NULL,
            digest TEXT NOT NULL,
            source_type TEXT NOT NULL,
            source TEXT NOT NULL,
            dataset_schema TEXT,
            profile TEXT,
            CONSTRAINT uq_datasets UNIQUE (experiment_id, name, digest)
        );

        CREATE TABLE inputs (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            dataset_id BIGINT NOT NULL REFERENCES datasets (dataset_id),
            PRIMARY KEY (run_id, dataset_id)
        );
        CREATE INDEX ix_inputs_dataset ON inputs (dataset_id);

        CREATE TABLE input_tags (
            run_id TEXT NOT NULL,
            dataset_id BIGINT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (run_id, dataset_id, key),
            FOREIGN KEY (run_id, dataset_id) REFERENCES inputs (run_id, dataset_id)
        );

        CREATE TABLE run_model_inputs (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            model_id TEXT NOT NULL,
            PRIMARY KEY (run_id, model_id)
        );

        CREATE TABLE run_model_outputs (
            run_id TEXT NOT NULL REFERENCES runs (run_id),
            model_id TEXT NOT NULL,
            step BIGINT NOT NULL,
            PRIMARY KEY (run_id, model_id, step)
        );

        CREATE TABLE logged_models (
            model_id TEXT NOT NULL PRIMARY KEY,
            experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
            name TEXT NOT NULL,
            artifact_uri TEXT NOT NULL,
            status TEXT NOT NULL,
            status_message TEXT,
            creation_timestamp_ms BIGINT NOT NULL,
            last_updated_timestamp_ms BIGINT NOT NULL,
            creator_id TEXT,
            model_type TEXT,
            source_run_id TEXT,
            lifecycle_stage TEXT NOT NULL
        );
        CREATE INDEX ix_logged_models_experiment ON logged_models (experiment_id, creation_timestamp_ms DESC, model_id);

        CREATE TABLE logged_model_params (
            model_id TEXT NOT NULL REFERENCES logged_models (model_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (model_id, key)
        );

        CREATE TABLE logged_model_tags (
            model_id TEXT NOT NULL REFERENCES logged_models (model_id),
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (model_id, key)
        );

        CREATE TABLE logged_model_metrics (
            model_id TEXT NOT NULL,
            key TEXT NOT NULL,
            run_id TEXT NOT NULL,
            timestamp BIGINT NOT NULL,
            step BIGINT NOT NULL,
            value DOUBLE PRECISION NOT NULL,
            is_nan INTEGER NOT NULL,
            dataset_name TEXT,
            dataset_digest TEXT,
            PRIMARY KEY (model_id, key, run_id, timestamp, step, value, is_nan)
        );
        """;
}
