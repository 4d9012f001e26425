using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Promotion policies and their decisions. New versions reach policies through the registry's event log: the policy
/// cursor says how far it has been read, and a decision is unique per (policy, event), so replicas racing over the same
/// events make each decision once (on-demand decisions have no event). Open decisions are leased
/// (<c>lease_until</c>) while one process works on them. The cursor starts at the newest event, so upgrading does not
/// judge old versions; a policy only sees events from its creation on (<c>first_event_id</c>).
/// </summary>
public sealed class M0012_Policies : IMigration
{
    public int Version => 12;

    public string Name => "policies";

    public string Sql(SqlDialectKind dialect) => """
        CREATE TABLE policies (
            policy_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            model_name TEXT NOT NULL,
            spec TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            creation_timestamp BIGINT NOT NULL,
            last_updated_timestamp BIGINT NOT NULL,
            deleted_timestamp BIGINT,
            first_event_id BIGINT NOT NULL
        );
        CREATE INDEX ix_policies_model ON policies (model_name, creation_timestamp);
        CREATE TABLE policy_decisions (
            decision_id TEXT PRIMARY KEY,
            policy_id TEXT NOT NULL,
            event_id BIGINT,
            model_name TEXT NOT NULL,
            version BIGINT NOT NULL,
            status TEXT NOT NULL,
            reasons TEXT NOT NULL,
            details TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            decided_by TEXT,
            lease_until BIGINT NOT NULL,
            seq BIGINT NOT NULL,
            UNIQUE (policy_id, event_id)
        );
        CREATE INDEX ix_policy_decisions_policy ON policy_decisions (policy_id, seq);
        CREATE INDEX ix_policy_decisions_open ON policy_decisions (status, lease_until);
        CREATE TABLE policy_cursor (
            id INTEGER PRIMARY KEY,
            last_event_id BIGINT NOT NULL
        );
        INSERT INTO policy_cursor (id, last_event_id) VALUES (1, COALESCE((SELECT MAX(id) FROM registry_events), 0))
        """;
}
