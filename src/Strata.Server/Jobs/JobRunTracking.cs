using System.Globalization;
using Microsoft.Extensions.Logging;
using Strata.Core.Jobs;
using Strata.Core.Tracking;

namespace Strata.Server.Jobs;

/// <summary>The MLflow run that tracks an execution, the same whichever runner runs it: created first, ended with the job's status.</summary>
internal sealed partial class JobRunTracking(TrackingService tracking, ILogger<JobRunTracking> logger)
{
    public const string StdoutPath = "logs/stdout.txt";
    public const string StderrPath = "logs/stderr.txt";

    public Task<Run> CreateRunAsync(JobExecution execution, JobSpec spec, CancellationToken ct) =>
        tracking.CreateRunAsync(new CreateRunRequest(
            spec.ExperimentId, "strata-jobs", $"{execution.JobName}-{execution.Id[..8]}", execution.StartedAt,
            [
                new KeyValueRequest("strata.job.name", execution.JobName),
                new KeyValueRequest("strata.job.execution_id", execution.Id),
                new KeyValueRequest("strata.job.trigger", execution.Trigger),
                new KeyValueRequest("strata.job.runner", spec.Runner),
                new KeyValueRequest("mlflow.source.type", "JOB"),
                new KeyValueRequest("mlflow.source.name", spec.Command),
            ]), ct);

    /// <summary>Sets the run's final status and end time, with the job's status and exit code as tags.</summary>
    public async Task EndRunAsync(string runId, string status, int? exitCode, long endTime, CancellationToken ct)
    {
        try
        {
            var tags = new List<KeyValueRequest> { new("strata.job.status", status) };
            if (exitCode is { } code)
            {
                tags.Add(new("strata.job.exit_code", code.ToString(CultureInfo.InvariantCulture)));
            }

            await tracking.LogBatchAsync(new LogBatchRequest(runId, [], [], tags), ct).ConfigureAwait(false);
            var runStatus = status switch
            {
                JobExecutionStatus.Succeeded => RunStatus.FINISHED,
                JobExecutionStatus.Cancelled => RunStatus.KILLED,
                _ => RunStatus.FAILED,
            };
            await tracking.UpdateRunAsync(new UpdateRunRequest(runId, runStatus, endTime, null), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The execution's own record is what matters; a run deleted meanwhile must not keep it "running".
            LogRunUpdateFailed(logger, e, runId);
        }
    }

    /// <summary>The variables every execution's program sees, whichever runner starts it (a job's env cannot override them).</summary>
    public static Dictionary<string, string> ExecutionEnvironment(JobExecution execution, JobSpec spec, string runId)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MLFLOW_RUN_ID"] = runId,
            ["MLFLOW_EXPERIMENT_ID"] = spec.ExperimentId,
            ["STRATA_JOB_NAME"] = execution.JobName,
            ["STRATA_JOB_EXECUTION_ID"] = execution.Id,
            ["STRATA_JOB_TRIGGER"] = execution.Trigger,
        };
        if (execution.EventId is { } eventId)
        {
            env["STRATA_EVENT_ID"] = eventId.ToString(CultureInfo.InvariantCulture);
            env["STRATA_EVENT_TYPE"] = execution.EventType ?? string.Empty;
        }

        if (execution.ScheduledAt is { } scheduled)
        {
            env["STRATA_SCHEDULED_TIME"] = scheduled.ToString(CultureInfo.InvariantCulture);
        }

        return env;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update run {RunId} at the end of its job execution")]
    private static partial void LogRunUpdateFailed(ILogger logger, Exception e, string runId);
}
