using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Jobs;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Storage.Artifacts;

namespace Strata.Server.Jobs;

/// <summary>
/// Runs one claimed execution as a local process, tracked as an MLflow run: the run is created first and handed to
/// the program (<c>MLFLOW_RUN_ID</c>, <c>MLFLOW_TRACKING_URI</c>), so what it logs lands in the same run; stdout and
/// stderr stream straight into the run's artifacts (<c>logs/stdout.txt</c>, <c>logs/stderr.txt</c>) with a fixed-size
/// copy buffer, whatever their length. While it runs the lease is renewed; a timeout, a cancel request, a lost lease
/// or the server stopping kills the whole process tree.
/// </summary>
internal sealed partial class LocalJobRunner(
    IJobStore store,
    JobRunTracking tracking,
    ArtifactLocationResolver artifacts,
    IServer server,
    IOptions<StrataServerOptions> options,
    TimeProvider time,
    ILogger<LocalJobRunner> logger) : IJobRunner
{
    public const string StdoutPath = JobRunTracking.StdoutPath;
    public const string StderrPath = JobRunTracking.StderrPath;

    private readonly JobsOptions _settings = options.Value.Jobs;

    public string Kind => JobRunners.Local;

    /// <summary>A dead replica's processes died with it; nothing is left to stop.</summary>
    public Task AbandonAsync(JobExecution execution, CancellationToken ct) => Task.CompletedTask;

    public async Task RunAsync(ClaimedExecution claimed, string replica, CancellationToken stopping)
    {
        var (execution, spec) = claimed;
        Run run;
        try
        {
            run = await tracking.CreateRunAsync(execution, spec, CancellationToken.None).ConfigureAwait(false);
            await store.SetRunAsync(execution.Id, run.Info.RunId, Now(), (long)_settings.Lease.TotalMilliseconds, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await store.FinishAsync(execution.Id, replica, new JobOutcome(
                JobExecutionStatus.Failed, null, $"could not create the tracking run in experiment {spec.ExperimentId}: {e.Message}", Now()), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var runId = run.Info.RunId;
        using var process = new Process { StartInfo = StartInfo(execution, spec, runId) };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            var reason = $"could not start '{spec.Command}': {e.Message}";
            await EndRunAsync(runId, JobExecutionStatus.Failed, null, Now(), CancellationToken.None).ConfigureAwait(false);
            await store.FinishAsync(execution.Id, replica, new JobOutcome(JobExecutionStatus.Failed, null, reason, Now()), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        process.StandardInput.Close();
        using var drain = new CancellationTokenSource();
        var logs = Task.WhenAll(
            CopyLogAsync(process.StandardOutput.BaseStream, run.Info.ArtifactUri, StdoutPath, drain.Token),
            CopyLogAsync(process.StandardError.BaseStream, run.Info.ArtifactUri, StderrPath, drain.Token));

        var (status, error) = await SuperviseAsync(process, execution, spec, replica, stopping).ConfigureAwait(false);

        // Logs first: the run should hold them by the time anyone hears the execution ended.
        if (await Task.WhenAny(logs, Task.Delay(_settings.LogDrainTimeout, time, CancellationToken.None)).ConfigureAwait(false) != logs)
        {
            await drain.CancelAsync().ConfigureAwait(false);
        }

        await logs.ConfigureAwait(false);
        if (status is null)
        {
            // Another replica already failed it (this one lost its lease); the record is theirs.
            return;
        }

        int? exitCode = process.HasExited ? process.ExitCode : null;
        if (status == JobExecutionStatus.Succeeded && exitCode != 0)
        {
            status = JobExecutionStatus.Failed;
            error = $"exit code {exitCode}";
        }

        var ended = Now();
        await EndRunAsync(runId, status, exitCode, ended, CancellationToken.None).ConfigureAwait(false);
        await store.FinishAsync(execution.Id, replica, new JobOutcome(status, exitCode, error, ended), CancellationToken.None).ConfigureAwait(false);
    }

    private Task EndRunAsync(string runId, string status, int? exitCode, long endTime, CancellationToken ct) =>
        tracking.EndRunAsync(runId, status, exitCode, endTime, ct);

    /// <summary>
    /// Waits for the process while renewing the lease; returns the final status (null when the lease was lost) and an
    /// error. A non-zero exit is turned into "failed" by the caller, which knows the exit code.
    /// </summary>
    private async Task<(string? Status, string? Error)> SuperviseAsync(Process process, JobExecution execution, JobSpec spec, string replica, CancellationToken stopping)
    {
        var exited = process.WaitForExitAsync(CancellationToken.None);
        var started = time.GetTimestamp();
        var timeout = spec.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        while (true)
        {
            // Beat first: creating the run and starting the process took part of the lease already.
            if (!exited.IsCompleted && !stopping.IsCancellationRequested)
            {
                JobHeartbeat? beat = null;
                try
                {
                    beat = await store.HeartbeatAsync(execution.Id, replica, Now(), (long)_settings.Lease.TotalMilliseconds, stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The database may be back before the lease lapses; if not, another replica fails the execution.
                    LogHeartbeatFailed(logger, e, execution.Id);
                }
                catch (OperationCanceledException)
                {
                }

                if (beat is { Owned: false })
                {
                    await KillAsync(process, exited).ConfigureAwait(false);
                    return (null, null);
                }

                if (beat is { CancelRequested: true })
                {
                    await KillAsync(process, exited).ConfigureAwait(false);
                    return (JobExecutionStatus.Cancelled, "cancelled on request; the process tree was killed");
                }
            }

            var wait = _settings.EffectiveHeartbeat;
            if (timeout is { } limit)
            {
                var left = limit - time.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    await KillAsync(process, exited).ConfigureAwait(false);
                    return (JobExecutionStatus.TimedOut, $"no exit within the timeout of {limit.TotalSeconds:0.###} s; the process tree was killed");
                }

                wait = left < wait ? left : wait;
            }

            await Task.WhenAny(exited, Task.Delay(wait, time, stopping)).ConfigureAwait(false);
            if (exited.IsCompleted)
            {
                return (JobExecutionStatus.Succeeded, null);
            }

            if (stopping.IsCancellationRequested)
            {
                await KillAsync(process, exited).ConfigureAwait(false);
                return (JobExecutionStatus.Failed, "the server running it stopped; the process tree was killed");
            }
        }
    }

    private static async Task KillAsync(Process process, Task exited)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }

        await exited.ConfigureAwait(false);
    }

    private async Task CopyLogAsync(Stream source, string artifactUri, string path, CancellationToken ct)
    {
        try
        {
            using var location = artifacts.Resolve(artifactUri, path);
            await location.Store.UploadAsync(location.Path, source, ct).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogLogCopyFailed(logger, e, path, artifactUri);
            try
            {
                // Keep reading so a full pipe never blocks the program.
                await source.CopyToAsync(Stream.Null, ct).ConfigureAwait(false);
            }
            catch (Exception drainError) when (drainError is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private ProcessStartInfo StartInfo(JobExecution execution, JobSpec spec, string runId)
    {
        var info = new ProcessStartInfo(spec.Command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };
        if (spec.WorkingDir is not null)
        {
            info.WorkingDirectory = spec.WorkingDir;
        }

        foreach (var a in spec.Args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in spec.Env)
        {
            info.Environment[k] = v;
        }

        // The program logs into the execution's own run; a job's env may still point it elsewhere.
        foreach (var (k, v) in JobRunTracking.ExecutionEnvironment(execution, spec, runId))
        {
            info.Environment[k] = v;
        }

        if (!spec.Env.ContainsKey("MLFLOW_TRACKING_URI") && OwnAddress() is { } uri)
        {
            info.Environment["MLFLOW_TRACKING_URI"] = uri;
        }

        return info;
    }

    /// <summary>This server's own address, reachable from the same machine (a wildcard host becomes 127.0.0.1).</summary>
    private string? OwnAddress()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        if (address is null || !Uri.TryCreate(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal), UriKind.Absolute, out var uri))
        {
            return null;
        }

        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : uri.Host;
        return new UriBuilder(uri) { Host = host }.Uri.ToString().TrimEnd('/');
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of job execution {ExecutionId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception e, string executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not store {Path} in {ArtifactUri}")]
    private static partial void LogLogCopyFailed(ILogger logger, Exception e, string path, string artifactUri);
}
