using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Indexes for run search ordered by <c>run_name</c> or <c>end_time</c>: the top-k form walks
/// (experiment_id, column) in either direction and stops once the page is settled, as it walks
/// <c>ix_runs_experiment_start</c> for the default <c>start_time DESC</c>. Each ends in run_id so the walk reads the
/// index alone (SQLite's rowid tables do not carry the TEXT primary key in their indexes).
/// </summary>
public sealed class M0016_RunOrderIndexes : IMigration
{
    public int Version => 16;

    public string Name => "run-order-indexes";

    public string Sql(SqlDialectKind dialect) => """
        CREATE INDEX ix_runs_experiment_name ON runs (experiment_id, name, run_id);
        CREATE INDEX ix_runs_experiment_end ON runs (experiment_id, end_time, run_id);
        """;
}
