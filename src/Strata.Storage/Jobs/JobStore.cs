using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Jobs;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Registry;
using static Strata.Storage.Jobs.JobRows;

namespace Strata.Storage.Jobs;

/// <summary>
/// <see cref="IJobStore"/> on SQLite or PostgreSQL: the jobs themselves here, the execution queue and its leases in
/// <c>JobStore.Executions.cs</c>, event triggers in <c>JobStore.Events.cs</c>.
/// </summary>
public sealed partial class JobStore(IDatabase database) : IJobStore
{
    private const string JobColumns =
        "job_id AS Id, name AS Name, spec AS Spec, creation_timestamp AS CreationTimestamp, last_updated_timestamp AS LastUpdatedTimestamp, schedule_from AS ScheduleFrom";

    private const string NewestEvent = "COALESCE((SELECT MAX(id) FROM registry_events), 0)";

    private SqlDialect Dialect => database.Dialect;

    public Task<Job> CreateAsync(string name, JobSpec spec, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var inserted = await c.ExecuteAsync(Cmd(
                $"""
                INSERT INTO jobs (job_id, name, spec, schedule, enabled, has_events, creation_timestamp, last_updated_timestamp, schedule_from, event_cursor)
                VALUES (@id, @name, @spec, @Schedule, @enabled, @hasEvents, @now, @now, @now, {NewestEvent})
                {Dialect.OnConflictDoNothing("name")}
                """,
                new
                {
                    id = Guid.NewGuid().ToString("N"), name, spec = WriteSpec(spec), spec.Schedule, enabled = spec.Enabled ? 1 : 0,
                    hasEvents = spec.EventTypes.Count > 0 ? 1 : 0, now,
                },
                tx, token)).ConfigureAwait(false);
            if (inserted == 0)
            {
                throw MlflowException.AlreadyExists($"Job '{name}' already exists.");
            }

            return (await LoadAsync(c, tx, name, token).ConfigureAwait(false))!;
        }, ct);

    public Task<Job?> GetAsync(string name, CancellationToken ct) =>
        database.ReadAsync((c, token) => LoadAsync(c, null, name, token), ct);

    public Task<Page<Job>> ListAsync(int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<JobRow>(Cmd(
                $"SELECT {JobColumns} FROM jobs ORDER BY creation_timestamp DESC, job_id LIMIT @limit OFFSET @offset",
                new { limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > maxResults;
            var page = (more ? rows.GetRange(0, maxResults) : rows).Select(r => r.ToJob()).ToList();
            return new Page<Job>(page, more ? OffsetPageToken.Encode(offset + maxResults) : null);
        }, ct);
    }

    public Task<Job?> UpdateAsync(string name, JobSpec spec, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            if (await LoadAsync(c, tx, name, token).ConfigureAwait(false) is not { } current)
            {
                return null;
            }

            // A new schedule (or re-enabling) counts from now: occurrences of the old one are not run late.
            var old = current.Spec;
            var rescheduled = old.Schedule != spec.Schedule || old.TimeZone != spec.TimeZone || (!old.Enabled && spec.Enabled);
            var retriggered = !old.EventTypes.SequenceEqual(spec.EventTypes, StringComparer.Ordinal) || old.EventModelName != spec.EventModelName
                || (!old.Enabled && spec.Enabled);
            await c.ExecuteAsync(Cmd(
                $"""
                UPDATE jobs SET spec = @spec, schedule = @Schedule, enabled = @enabled, has_events = @hasEvents, last_updated_timestamp = @now,
                       schedule_from = CASE WHEN @rescheduled = 1 THEN @now ELSE schedule_from END,
                       event_cursor = CASE WHEN @retriggered = 1 THEN {NewestEvent} ELSE event_cursor END
                WHERE name = @name
                """,
                new
                {
                    spec = WriteSpec(spec), spec.Schedule, enabled = spec.Enabled ? 1 : 0, hasEvents = spec.EventTypes.Count > 0 ? 1 : 0, now,
                    rescheduled = rescheduled ? 1 : 0, retriggered = retriggered ? 1 : 0, name,
                },
                tx, token)).ConfigureAwait(false);
            return await LoadAsync(c, tx, name, token).ConfigureAwait(false);
        }, ct);

    public Task<bool> DeleteAsync(string name, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var id = await c.QuerySingleOrDefaultAsync<string?>(Cmd("SELECT job_id FROM jobs WHERE name = @name", new { name }, tx, token)).ConfigureAwait(false);
            if (id is null)
            {
                return false;
            }

            await c.ExecuteAsync(Cmd("DELETE FROM jobs WHERE job_id = @id", new { id }, tx, token)).ConfigureAwait(false);
            var queued = (await c.QueryAsync<string>(Cmd(
                $"SELECT execution_id FROM job_executions WHERE job_id = @id AND status = '{JobExecutionStatus.Queued}'", new { id }, tx, token)).ConfigureAwait(false)).ToList();
            foreach (var executionId in queued)
            {
                await CancelQueuedAsync(c, tx, executionId, now, "job deleted", token).ConfigureAwait(false);
            }

            await c.ExecuteAsync(Cmd(
                $"UPDATE job_executions SET cancel_requested = 1 WHERE job_id = @id AND status = '{JobExecutionStatus.Running}'", new { id }, tx, token)).ConfigureAwait(false);
            return true;
        }, ct);

    public Task<IReadOnlyList<(Job Job, long? LastScheduledAt)>> ListScheduledAsync(CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<(Job, long?)>>(async (c, token) =>
        {
            var rows = await c.QueryAsync<JobRow>(Cmd(
                $"""
                SELECT {JobColumns}, (SELECT MAX(e.scheduled_at) FROM job_executions e WHERE e.job_id = jobs.job_id) AS LastScheduledAt
                FROM jobs WHERE schedule IS NOT NULL AND enabled = 1
                """,
                null, null, token)).ConfigureAwait(false);
            return rows.Select(r => (r.ToJob(), r.LastScheduledAt)).ToList();
        }, ct);

    private static async Task<Job?> LoadAsync(DbConnection c, DbTransaction? tx, string name, CancellationToken ct)
    {
        var row = await c.QuerySingleOrDefaultAsync<JobRow>(Cmd($"SELECT {JobColumns} FROM jobs WHERE name = @name", new { name }, tx, ct)).ConfigureAwait(false);
        return row?.ToJob();
    }

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);
}
