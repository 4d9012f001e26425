using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Webhooks (MLflow 3.5's subscriptions) and their durable deliveries. The registry's event log is the outbox: the
/// dispatch cursor says how far it has been turned into deliveries, and a delivery is unique per (webhook, event), so
/// replicas racing over the same events create each delivery once. Deliveries are read "oldest pending of each
/// webhook" and "one webhook's, newest first", both served by the (webhook_id, event_id) key. The cursor starts at the
/// newest event, so upgrading does not replay history to webhooks created later.
/// </summary>
public sealed class M0010_Webhooks : IMigration
{
    public int Version => 10;

    public string Name => "webhooks";

    public string Sql(SqlDialectKind dialect) => """
        CREATE TABLE webhooks (
            webhook_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            description TEXT,
            url TEXT NOT NULL,
            secret TEXT,
            status TEXT NOT NULL,
            creation_timestamp BIGINT NOT NULL,
            last_updated_timestamp BIGINT NOT NULL,
            deleted_timestamp BIGINT,
            first_event_id BIGINT NOT NULL
        );
        CREATE INDEX ix_webhooks_created ON webhooks (creation_timestamp, webhook_id);
        CREATE TABLE webhook_events (
            webhook_id TEXT NOT NULL,
            entity TEXT NOT NULL,
            action TEXT NOT NULL,
            PRIMARY KEY (webhook_id, entity, action)
        );
        CREATE TABLE webhook_deliveries (
            delivery_id TEXT PRIMARY KEY,
            webhook_id TEXT NOT NULL,
            event_id BIGINT NOT NULL,
            entity TEXT NOT NULL,
            action TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            created_at BIGINT NOT NULL,
            next_attempt_at BIGINT NOT NULL,
            lease_until BIGINT NOT NULL,
            last_attempt_at BIGINT,
            last_status_code INTEGER,
            last_error TEXT,
            UNIQUE (webhook_id, event_id)
        );
        CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (state, next_attempt_at);
        CREATE TABLE webhook_delivery_attempts (
            delivery_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            started_at BIGINT NOT NULL,
            duration_ms BIGINT NOT NULL,
            status_code INTEGER,
            error TEXT,
            PRIMARY KEY (delivery_id, attempt)
        );
        CREATE TABLE webhook_dispatch_cursor (
            id INTEGER PRIMARY KEY,
            last_event_id BIGINT NOT NULL
        );
        INSERT INTO webhook_dispatch_cursor (id, last_event_id) VALUES (1, COALESCE((SELECT MAX(id) FROM registry_events), 0))
        """;
}
