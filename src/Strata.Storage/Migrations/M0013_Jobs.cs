using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Scheduled jobs and their executions. Exactly-once is a constraint, not a hope: a scheduled occurrence is unique
/// by (job, scheduled_at) and an event trigger by (job, event_id), so replicas racing to queue the same one create it
/// once (on-demand runs leave both NULL, which never conflict). Queued rows are claimed with a conditional update
/// and held by a lease (<c>lease_until</c>) the runner renews; "running with a lapsed lease" is how a dead replica's
/// execution is found, through the (status, lease_until) index. <c>event_cursor</c> is each job's durable position
/// in <c>registry_events</c>; it starts at the newest event so creating a job never replays history.
/// </summary>
public sealed class M0013_Jobs : IMigration
{
    public int Version => 13;

    public string Name => "jobs";

    public string Sql(SqlDialectKind dialect) => """
        CREATE TABLE jobs (
            job_id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            spec TEXT NOT NULL,
            schedule TEXT,
            enabled INTEGER NOT NULL,
            has_events INTEGER NOT NULL,
            creation_timestamp BIGINT NOT NULL,
            last_updated_timestamp BIGINT NOT NULL,
            schedule_from BIGINT NOT NULL,
            event_cursor BIGINT NOT NULL
        );
        CREATE INDEX ix_jobs_created ON jobs (creation_timestamp, job_id);
        CREATE TABLE job_executions (
            execution_id TEXT PRIMARY KEY,
            job_id TEXT NOT NULL,
            job_name TEXT NOT NULL,
            trigger_kind TEXT NOT NULL,
            scheduled_at BIGINT,
            event_id BIGINT,
            event_type TEXT,
            status TEXT NOT NULL,
            run_id TEXT,
            replica TEXT,
            lease_until BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            started_at BIGINT,
            ended_at BIGINT,
            exit_code INTEGER,
            cancel_requested INTEGER NOT NULL,
            error TEXT,
            UNIQUE (job_id, scheduled_at),
            UNIQUE (job_id, event_id)
        );
        CREATE INDEX ix_job_executions_status ON job_executions (status, lease_until);
        CREATE INDEX ix_job_executions_queue ON job_executions (status, created_at);
        CREATE INDEX ix_job_executions_job ON job_executions (job_id, created_at)
        """;
}
