using Strata.Core.Errors;
using Strata.Core.Jobs;

namespace Strata.Core.Tests.Jobs;

public sealed class JobScheduleTests
{
    private static long Ms(int year, int month, int day, int hour, int minute, int second = 0) =>
        new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).ToUnixTimeMilliseconds();

    [Fact]
    public void Five_fields_are_minutes_and_six_fields_start_with_seconds()
    {
        Assert.Equal(Ms(2026, 1, 1, 3, 0), JobSchedule.Parse("0 3 * * *", null).NextAfter(Ms(2026, 1, 1, 2, 0)));
        Assert.Equal(Ms(2026, 1, 1, 2, 0, 10), JobSchedule.Parse("*/5 * * * * *", null).NextAfter(Ms(2026, 1, 1, 2, 0, 7)));
        Assert.Equal(Ms(2026, 1, 2, 0, 0), JobSchedule.Parse("@daily", null).NextAfter(Ms(2026, 1, 1, 2, 0)));
    }

    [Fact]
    public void A_time_zone_follows_daylight_saving()
    {
        var paris = JobSchedule.Parse("0 3 * * *", "Europe/Paris");
        Assert.Equal(Ms(2026, 1, 15, 2, 0), paris.NextAfter(Ms(2026, 1, 15, 0, 0)));
        Assert.Equal(Ms(2026, 7, 15, 1, 0), paris.NextAfter(Ms(2026, 7, 15, 0, 0)));
    }

    [Fact]
    public void Due_is_the_latest_missed_occurrence_once()
    {
        var hourly = JobSchedule.Parse("0 * * * *", null);
        Assert.Null(hourly.DueAt(Ms(2026, 1, 1, 2, 0), Ms(2026, 1, 1, 2, 59)));
        Assert.Equal(Ms(2026, 1, 1, 3, 0), hourly.DueAt(Ms(2026, 1, 1, 2, 0), Ms(2026, 1, 1, 3, 0)));
        // Down from 02:00 to 05:30: the 03:00, 04:00 and 05:00 runs collapse into one, 05:00.
        Assert.Equal(Ms(2026, 1, 1, 5, 0), hourly.DueAt(Ms(2026, 1, 1, 2, 0), Ms(2026, 1, 1, 5, 30)));
        // Once it is queued, nothing is due until the next one.
        Assert.Null(hourly.DueAt(Ms(2026, 1, 1, 5, 0), Ms(2026, 1, 1, 5, 30)));
    }

    [Theory]
    [InlineData("61 * * * *", null)]
    [InlineData("not cron", null)]
    [InlineData("* * * * * * *", null)]
    [InlineData("* * * * *", "Nowhere/Land")]
    public void Bad_schedules_name_the_field(string expression, string? zone)
    {
        var e = Assert.Throws<MlflowException>(() => JobSchedule.Parse(expression, zone));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Contains(zone is null ? "'schedule'" : "'timezone'", e.Message, StringComparison.Ordinal);
    }
}

public sealed class JobValidationTests
{
    [Theory]
    [InlineData("retrain")]
    [InlineData("a")]
    [InlineData("nightly.retrain_v2-eu")]
    public void Good_names(string name) => Assert.Equal(name, JobValidation.Name(name));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-x")]
    [InlineData("x/y")]
    [InlineData("executions")]
    public void Bad_names(string? name) => Assert.Throws<MlflowException>(() => JobValidation.Name(name));

    [Fact]
    public void Timeouts_are_seconds_with_zero_meaning_none()
    {
        Assert.Null(JobValidation.TimeoutMs(null));
        Assert.Null(JobValidation.TimeoutMs(0));
        Assert.Equal(90_000, JobValidation.TimeoutMs(90));
        Assert.Throws<MlflowException>(() => JobValidation.TimeoutMs(-1));
        Assert.Throws<MlflowException>(() => JobValidation.TimeoutMs(JobValidation.MaxTimeoutSeconds + 1));
    }

    [Fact]
    public void Event_types_are_dotted_and_deduplicated()
    {
        Assert.Equal(["model_version.created", "deployment.drift_share.exceeded"],
            JobValidation.EventTypes(["model_version.created", "deployment.drift_share.exceeded", "model_version.created"]));
        Assert.Throws<MlflowException>(() => JobValidation.EventTypes(["Model Version"]));
        Assert.Throws<MlflowException>(() => JobValidation.EventTypes(["single"]));
    }

    [Fact]
    public void The_finished_payload_carries_the_contract_fields()
    {
        var e = new JobExecution("x1", "j1", "retrain", JobTriggers.Schedule, 1000, null, null, JobExecutionStatus.Running, "r1", "host/1/a", 900, 1001, null, null, false, null);
        using var doc = System.Text.Json.JsonDocument.Parse(JobEventTypes.FinishedPayload(e, new JobOutcome(JobExecutionStatus.TimedOut, 137, "timeout", 5000)));
        var p = doc.RootElement;
        Assert.Equal("retrain", p.GetProperty("job_name").GetString());
        Assert.Equal("j1", p.GetProperty("job_id").GetString());
        Assert.Equal("x1", p.GetProperty("execution_id").GetString());
        Assert.Equal("r1", p.GetProperty("run_id").GetString());
        Assert.Equal("timed_out", p.GetProperty("status").GetString());
        Assert.Equal(137, p.GetProperty("exit_code").GetInt32());
        Assert.Equal(1001, p.GetProperty("start_time_ms").GetInt64());
        Assert.Equal(5000, p.GetProperty("end_time_ms").GetInt64());
        Assert.Equal("schedule", p.GetProperty("trigger").GetString());
        Assert.Equal(1000, p.GetProperty("scheduled_time_ms").GetInt64());
    }
}
