using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Deployments and their service metrics. <c>deployments</c> points at the current row of the append-only
/// <c>deployment_revisions</c> (an update or a rollback inserts a revision and moves the pointer under an optimistic
/// check of the revision the caller read). <c>deployment_metrics</c> holds one row per (deployment, model version,
/// shadow or not, resolution, bucket, replica): each serving process rewrites only its own rows, so replicas never
/// contend, and reads merge them. The primary key leads with (deployment, resolution, bucket), the read's range.
/// </summary>
public sealed class M0007_Deployments : IMigration
{
    public int Version => 7;

    public string Name => "deployments";

    public string Sql(SqlDialectKind dialect)
    {
        var text = dialect == SqlDialectKind.Postgres ? "TEXT COLLATE \"C\"" : "TEXT";
        return $"""
            CREATE TABLE deployments (
                name {text} NOT NULL PRIMARY KEY,
                current_revision BIGINT NOT NULL,
                creation_timestamp BIGINT NOT NULL,
                last_updated_timestamp BIGINT NOT NULL
            );
            CREATE TABLE deployment_revisions (
                deployment_name {text} NOT NULL REFERENCES deployments (name) ON DELETE CASCADE,
                revision BIGINT NOT NULL,
                spec TEXT NOT NULL,
                created_by TEXT NULL,
                creation_timestamp BIGINT NOT NULL,
                rolled_back_from BIGINT NULL,
                PRIMARY KEY (deployment_name, revision)
            );
            CREATE TABLE deployment_metrics (
                deployment_name {text} NOT NULL,
                resolution INTEGER NOT NULL,
                bucket_start_ms BIGINT NOT NULL,
                model_name {text} NOT NULL,
                model_version {text} NOT NULL,
                shadow INTEGER NOT NULL,
                replica_id {text} NOT NULL,
                requests BIGINT NOT NULL,
                errors BIGINT NOT NULL,
                latency_sum_us BIGINT NOT NULL,
                cpu_us BIGINT NOT NULL,
                allocated_bytes BIGINT NOT NULL,
                latency_sketch TEXT NOT NULL,
                PRIMARY KEY (deployment_name, resolution, bucket_start_ms, model_name, model_version, shadow, replica_id)
            );
            CREATE INDEX ix_deployment_metrics_bucket ON deployment_metrics (resolution, bucket_start_ms)
            """;
    }
}
