using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// MLflow 3 tracing. <c>trace_info</c> holds one row per trace, indexed by (experiment, start time DESC, id): the
/// order every trace search defaults to, so a page is an index range walk and a keyset resumes where the last
/// page stopped. Tags, request metadata, assessments, run links and OTLP spans are child rows keyed by trace id
/// that go with the trace (ON DELETE CASCADE); a trace goes with its experiment when that is purged.
/// Span data uploaded as <c>traces.json</c> is not here: it stays at the trace's artifact location.
/// </summary>
public sealed class M0006_Traces : IMigration
{
    public int Version => 6;

    public string Name => "traces";

    public string Sql(SqlDialectKind dialect)
    {
        // PostgreSQL: byte-order collation so ordering and keyset comparisons agree with SQLite's BINARY.
        var text = dialect == SqlDialectKind.Postgres ? "TEXT COLLATE \"C\"" : "TEXT";
        return $"""
            CREATE TABLE trace_info (
                trace_id {text} NOT NULL PRIMARY KEY,
                experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
                client_request_id TEXT NULL,
                timestamp_ms BIGINT NOT NULL,
                execution_time_ms BIGINT NULL,
                state {text} NOT NULL,
                request_preview TEXT NULL,
                response_preview TEXT NULL
            );
            CREATE INDEX ix_trace_info_experiment_time ON trace_info (experiment_id, timestamp_ms DESC, trace_id);
            CREATE INDEX ix_trace_info_time ON trace_info (timestamp_ms, trace_id);

            CREATE TABLE trace_tags (
                trace_id {text} NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
                key {text} NOT NULL,
                value {text} NOT NULL,
                PRIMARY KEY (trace_id, key)
            );
            CREATE INDEX ix_trace_tags_key_value ON trace_tags (key, value, trace_id);

            CREATE TABLE trace_request_metadata (
                trace_id {text} NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
                key {text} NOT NULL,
                value {text} NOT NULL,
                PRIMARY KEY (trace_id, key)
            );
            CREATE INDEX ix_trace_request_metadata_key_value ON trace_request_metadata (key, value, trace_id);

            CREATE TABLE trace_assessments (
                assessment_id {text} NOT NULL PRIMARY KEY,
                trace_id {text} NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                span_id TEXT NULL,
                source_type TEXT NULL,
                source_id TEXT NULL,
                create_time_ms BIGINT NOT NULL,
                last_update_time_ms BIGINT NOT NULL,
                kind TEXT NOT NULL,
                value TEXT NULL,
                serialized_format TEXT NULL,
                serialized_value TEXT NULL,
                error_code TEXT NULL,
                error_message TEXT NULL,
                error_stack_trace TEXT NULL,
                rationale TEXT NULL,
                metadata TEXT NULL,
                overrides TEXT NULL,
                valid INTEGER NOT NULL
            );
            CREATE INDEX ix_trace_assessments_trace ON trace_assessments (trace_id, create_time_ms);

            CREATE TABLE trace_spans (
                trace_id {text} NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
                span_id {text} NOT NULL,
                parent_span_id TEXT NULL,
                name {text} NOT NULL,
                span_type TEXT NULL,
                status TEXT NOT NULL,
                start_time_unix_nano BIGINT NOT NULL,
                end_time_unix_nano BIGINT NULL,
                content TEXT NOT NULL,
                PRIMARY KEY (trace_id, span_id)
            );
            CREATE INDEX ix_trace_spans_name ON trace_spans (name, trace_id);

            CREATE TABLE trace_run_links (
                trace_id {text} NOT NULL REFERENCES trace_info (trace_id) ON DELETE CASCADE,
                run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
                PRIMARY KEY (trace_id, run_id)
            );
            CREATE INDEX ix_trace_run_links_run ON trace_run_links (run_id, trace_id)
            """;
    }
}
