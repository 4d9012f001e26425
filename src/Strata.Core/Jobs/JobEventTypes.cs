using System.Text.Json;

namespace Strata.Core.Jobs;

/// <summary>
/// The <c>registry_events</c> row a finished execution writes (in the transaction of its final state); the policies'
/// event mapping turns it into the webhook event <c>job.finished</c> with <c>after_json</c> as the payload.
/// </summary>
public static class JobEventTypes
{
    public const string Finished = "job.finished";

    /// <summary>The payload: job name and id, execution and run ids, status, exit code, start/end ms, trigger.</summary>
    public static string FinishedPayload(JobExecution e, JobOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(outcome);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("job_name"u8, e.JobName);
            w.WriteString("job_id"u8, e.JobId);
            w.WriteString("execution_id"u8, e.Id);
            if (e.RunId is not null)
            {
                w.WriteString("run_id"u8, e.RunId);
            }
            else
            {
                w.WriteNull("run_id"u8);
            }

            w.WriteString("status"u8, outcome.Status);
            if (outcome.ExitCode is { } code)
            {
                w.WriteNumber("exit_code"u8, code);
            }
            else
            {
                w.WriteNull("exit_code"u8);
            }

            if (e.StartedAt is { } started)
            {
                w.WriteNumber("start_time_ms"u8, started);
            }
            else
            {
                w.WriteNull("start_time_ms"u8);
            }

            w.WriteNumber("end_time_ms"u8, outcome.EndedAt);
            w.WriteString("trigger"u8, e.Trigger);
            if (e.ScheduledAt is { } scheduled)
            {
                w.WriteNumber("scheduled_time_ms"u8, scheduled);
            }

            if (e.EventId is { } eventId)
            {
                w.WriteNumber("trigger_event_id"u8, eventId);
            }

            if (outcome.Error is not null)
            {
                w.WriteString("error"u8, outcome.Error);
            }

            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
