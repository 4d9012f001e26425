using Dapper;
using Strata.Core.Jobs;
using static Strata.Storage.Jobs.JobRows;

namespace Strata.Storage.Jobs;

/// <summary>Event triggers: each job's durable cursor over <c>registry_events</c>.</summary>
public sealed partial class JobStore
{
    /// <summary>
    /// In one transaction per round: for every enabled event-triggered job, the events past its cursor whose type it
    /// listens to (and model, when it names one) become queued executions, and the cursor moves past what was read.
    /// A replica dying mid-way commits nothing; two replicas racing queue each (job, event) once (the unique key), and
    /// on PostgreSQL the loser's serializable transaction re-runs and finds the cursor moved.
    /// </summary>
    public Task<int> EnqueueEventsAsync(int maxEventsPerJob, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var jobs = (await c.QueryAsync<EventJobRow>(Cmd(
                "SELECT job_id AS Id, name AS Name, spec AS Spec, event_cursor AS EventCursor FROM jobs WHERE has_events = 1 AND enabled = 1",
                null, tx, token)).ConfigureAwait(false)).ToList();
            if (jobs.Count == 0)
            {
                return 0;
            }

            var head = await c.ExecuteScalarAsync<long>(Cmd($"SELECT {NewestEvent}", null, tx, token)).ConfigureAwait(false);
            var queued = 0;
            foreach (var job in jobs)
            {
                if (job.EventCursor >= head)
                {
                    continue;
                }

                var spec = ReadSpec(job.Spec);
                var modelFilter = spec.EventModelName is null ? string.Empty : " AND model_name = @model";
                var events = (await c.QueryAsync<MatchedEventRow>(Cmd(
                    $"""
                    SELECT id AS Id, event_type AS EventType, model_name AS ModelName FROM registry_events
                    WHERE id > @cursor AND id <= @head AND event_type IN @types{modelFilter}
                    ORDER BY id LIMIT @limit
                    """,
                    new { cursor = job.EventCursor, head, types = spec.EventTypes.ToArray(), model = spec.EventModelName, limit = maxEventsPerJob }, tx, token)).ConfigureAwait(false)).ToList();
                foreach (var e in events)
                {
                    // A job's own job.finished never starts it again, or one run would start the next forever.
                    if (e.EventType == JobEventTypes.Finished && e.ModelName == job.Name)
                    {
                        continue;
                    }

                    if (await InsertExecutionAsync(c, tx, job.Id, JobTriggers.Event, null, e.Id, e.EventType, now, token).ConfigureAwait(false) is not null)
                    {
                        queued++;
                    }
                }

                var cursor = events.Count == maxEventsPerJob ? events[^1].Id : head;
                await c.ExecuteAsync(Cmd("UPDATE jobs SET event_cursor = @cursor WHERE job_id = @Id", new { cursor, job.Id }, tx, token)).ConfigureAwait(false);
            }

            return queued;
        }, ct);
}
