using System.Text.Json;
using Strata.Core.Jobs;

namespace Strata.Storage.Jobs;

/// <summary>Row shapes Dapper fills (settable properties, so SQLite's and PostgreSQL's integer widths both map), and the spec's column form.</summary>
internal static class JobRows
{
    private static readonly JsonSerializerOptions SpecJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string WriteSpec(JobSpec spec) => JsonSerializer.Serialize(spec, SpecJson);

    public static JobSpec ReadSpec(string json) => JsonSerializer.Deserialize<JobSpec>(json, SpecJson)
        ?? throw new InvalidDataException("a job's spec column is empty");

    internal sealed class JobRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Spec { get; set; } = string.Empty;
        public long CreationTimestamp { get; set; }
        public long LastUpdatedTimestamp { get; set; }
        public long ScheduleFrom { get; set; }
        public long? LastScheduledAt { get; set; }

        public Job ToJob() => new(Id, Name, ReadSpec(Spec), CreationTimestamp, LastUpdatedTimestamp, ScheduleFrom);
    }

    internal sealed class ExecutionRow
    {
        public string Id { get; set; } = string.Empty;
        public string JobId { get; set; } = string.Empty;
        public string JobName { get; set; } = string.Empty;
        public string Trigger { get; set; } = string.Empty;
        public long? ScheduledAt { get; set; }
        public long? EventId { get; set; }
        public string? EventType { get; set; }
        public string Status { get; set; } = string.Empty;
        public string? RunId { get; set; }
        public string? Replica { get; set; }
        public long CreatedAt { get; set; }
        public long? StartedAt { get; set; }
        public long? EndedAt { get; set; }
        public int? ExitCode { get; set; }
        public int CancelRequested { get; set; }
        public string? Error { get; set; }
        public string? Spec { get; set; }

        public JobExecution ToExecution() => new(
            Id, JobId, JobName, Trigger, ScheduledAt, EventId, EventType, Status, RunId, Replica, CreatedAt, StartedAt, EndedAt, ExitCode, CancelRequested != 0, Error);
    }

    internal sealed class EventJobRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Spec { get; set; } = string.Empty;
        public long EventCursor { get; set; }
    }

    internal sealed class MatchedEventRow
    {
        public long Id { get; set; }
        public string EventType { get; set; } = string.Empty;
        public string ModelName { get; set; } = string.Empty;
    }
}
