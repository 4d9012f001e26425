using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Service alerts: each deployment's thresholds get the window (minutes of metrics) and the minimum request count
/// error rate and latency p99 are judged over; one state row per (deployment, signal, model version) holds whether it
/// is above its threshold since the last crossing, so a crossing is recorded once across replicas; and an index of
/// the registry events monitoring wrote, by deployment (the drift events already written are indexed too).
/// </summary>
public sealed class M0015_ServiceAlerts : IMigration
{
    public int Version => 15;

    public string Name => "service_alerts";

    public string Sql(SqlDialectKind dialect)
    {
        var text = dialect == SqlDialectKind.Postgres ? "TEXT COLLATE \"C\"" : "TEXT";
        var real = dialect == SqlDialectKind.Postgres ? "DOUBLE PRECISION" : "REAL";
        var deploymentOf = dialect == SqlDialectKind.Postgres
            ? "(after_json::jsonb) ->> 'deployment'"
            : "json_extract(after_json, '$.deployment')";
        return $"""
            ALTER TABLE alert_thresholds ADD COLUMN window_minutes INTEGER NOT NULL DEFAULT 5;
            ALTER TABLE alert_thresholds ADD COLUMN min_requests BIGINT NOT NULL DEFAULT 1;

            CREATE TABLE alert_states (
                deployment {text} NOT NULL,
                signal TEXT NOT NULL,
                model_name {text} NOT NULL,
                model_version {text} NOT NULL,
                alerting INTEGER NOT NULL,
                value {real} NOT NULL,
                threshold {real} NOT NULL,
                requests BIGINT NOT NULL,
                changed_at BIGINT NOT NULL,
                evaluated_at BIGINT NOT NULL,
                PRIMARY KEY (deployment, signal, model_name, model_version)
            );

            CREATE TABLE alert_events (
                event_id BIGINT NOT NULL PRIMARY KEY,
                deployment {text} NOT NULL,
                signal TEXT NOT NULL
            );
            CREATE INDEX ix_alert_events_deployment ON alert_events (deployment, event_id);

            INSERT INTO alert_events (event_id, deployment, signal)
            SELECT id, {deploymentOf}, 'drift_share' FROM registry_events
            WHERE event_type IN ('deployment.drift_share.exceeded', 'deployment.drift_share.recovered') AND after_json IS NOT NULL AND {deploymentOf} IS NOT NULL
            """;
    }
}
