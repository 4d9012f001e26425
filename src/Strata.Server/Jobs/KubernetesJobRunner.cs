using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Jobs;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Storage.Artifacts;

namespace Strata.Server.Jobs;

/// <summary>
/// Runs one claimed execution as a Kubernetes <c>batch/v1</c> Job (<see cref="KubernetesJobTemplate"/>), tracked as
/// an MLflow run like a local one. The Job is created through the API server (in-cluster service account or a
/// kubeconfig), then read back every poll while the lease is renewed. When it ends, the exit code comes from the
/// pod's terminated container and the pod's log (Kubernetes keeps stdout and stderr as one stream) is copied into the
/// run as <c>logs/stdout.txt</c>. A cancel, a timeout, a lost lease or the server stopping deletes the Job with
/// background propagation, so its pod is killed too. The Job is never adopted by another replica: a replica that
/// dies leaves its execution to be failed when its lease lapses, and the replica that fails it deletes the Job.
/// </summary>
internal sealed partial class KubernetesJobRunner : IJobRunner, IDisposable
{
    // A pod waiting for these never starts on its own; waiting for the deadline would only hide the mistake.
    private static readonly HashSet<string> HopelessWaits = new(StringComparer.Ordinal)
    {
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError",
    };

    private readonly IJobStore _store;
    private readonly JobRunTracking _tracking;
    private readonly ArtifactLocationResolver _artifacts;
    private readonly TimeProvider _time;
    private readonly ILogger<KubernetesJobRunner> _logger;
    private readonly JobsOptions _settings;
    private readonly Lazy<(IKubernetes Client, string Namespace)> _client;
    private readonly Lazy<KubernetesJobTemplate> _template;

    public KubernetesJobRunner(
        IJobStore store, JobRunTracking tracking, ArtifactLocationResolver artifacts, IOptions<StrataServerOptions> options, TimeProvider time,
        ILogger<KubernetesJobRunner> logger)
    {
        _store = store;
        _tracking = tracking;
        _artifacts = artifacts;
        _time = time;
        _logger = logger;
        _settings = options.Value.Jobs;
        // Built on first use: a server whose jobs all run locally never reads a kubeconfig.
        _client = new Lazy<(IKubernetes, string)>(Connect, LazyThreadSafetyMode.ExecutionAndPublication);
        _template = new Lazy<KubernetesJobTemplate>(() => KubernetesJobTemplate.Load(_settings.Kubernetes.Template), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Kind => JobRunners.Kubernetes;

    public async Task RunAsync(ClaimedExecution claimed, string replica, CancellationToken stopping)
    {
        var (execution, spec) = claimed;
        Run run;
        try
        {
            run = await _tracking.CreateRunAsync(execution, spec, CancellationToken.None).ConfigureAwait(false);
            await _store.SetRunAsync(execution.Id, run.Info.RunId, Now(), LeaseMs, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await _store.FinishAsync(execution.Id, replica, new JobOutcome(
                JobExecutionStatus.Failed, null, $"could not create the tracking run in experiment {spec.ExperimentId}: {e.Message}", Now()), CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var runId = run.Info.RunId;
        var name = KubernetesJobTemplate.JobName(execution.Id);
        IKubernetes? client = null;
        var ns = string.Empty;
        V1Job manifest;
        try
        {
            (client, ns) = Client(spec);
            var image = spec.Kubernetes?.Image ?? _settings.Kubernetes.Image
                ?? throw new InvalidOperationException("no container image: set the job's kubernetes.image or the server's --jobs-kubernetes-image");
            manifest = _template.Value.Render(execution, spec, ns, image, spec.Kubernetes?.ServiceAccount ?? _settings.Kubernetes.ServiceAccount, Environment(execution, spec, runId));
            await client.BatchV1.CreateNamespacedJobAsync(manifest, ns, cancellationToken: stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            await FinishAsync(execution, replica, runId, JobExecutionStatus.Failed, null, $"could not create the Kubernetes Job {name}: {Describe(e)}").ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException)
        {
            if (client is not null)
            {
                // The create may have reached the API server before the cancel did.
                await DeleteJobAsync(client, name, ns).ConfigureAwait(false);
            }

            await FinishAsync(execution, replica, runId, JobExecutionStatus.Failed, null, "the server running it stopped before the Kubernetes Job was created").ConfigureAwait(false);
            return;
        }

        LogCreated(_logger, name, ns, execution.Id);
        var container = manifest.Spec.Template.Spec.Containers[0].Name;
        var (status, error) = await SuperviseAsync(client, name, ns, execution, spec, replica, stopping).ConfigureAwait(false);
        if (status is null)
        {
            // Another replica already failed it (this one lost its lease): stop the pod, leave the record to them.
            await DeleteJobAsync(client, name, ns).ConfigureAwait(false);
            return;
        }

        // The pod's outcome and log are read before the Job is deleted (cancel, timeout, stop) or expires (ttl).
        var pod = await LatestPodAsync(client, ns, execution.Id).ConfigureAwait(false);
        var terminated = pod?.Status?.ContainerStatuses?.FirstOrDefault(c => c.Name == container)?.State?.Terminated;
        int? exitCode = terminated?.ExitCode;
        if (pod is not null)
        {
            await CopyLogAsync(client, pod, ns, container, run.Info.ArtifactUri).ConfigureAwait(false);
        }

        if (status != JobExecutionStatus.Succeeded && status != JobExecutionStatus.Failed || error is not null)
        {
            await DeleteJobAsync(client, name, ns).ConfigureAwait(false);
        }

        if (status == JobExecutionStatus.Succeeded && exitCode is not (0 or null))
        {
            status = JobExecutionStatus.Failed;
        }

        if (status == JobExecutionStatus.Failed && error is null)
        {
            error = exitCode is { } code
                ? $"exit code {code}" + (terminated?.Reason is { Length: > 0 } reason && reason != "Error" ? $" ({reason})" : string.Empty)
                : "the Kubernetes Job failed without a terminated container";
        }

        await FinishAsync(execution, replica, runId, status, exitCode, error).ConfigureAwait(false);
    }

    public async Task AbandonAsync(JobExecution execution, CancellationToken ct)
    {
        if (await _store.GetAsync(execution.JobName, ct).ConfigureAwait(false) is not { Spec.Runner: JobRunners.Kubernetes } job)
        {
            return;
        }

        var (client, ns) = Client(job.Spec);
        await DeleteJobAsync(client, KubernetesJobTemplate.JobName(execution.Id), ns).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Client.Dispose();
        }
    }

    /// <summary>
    /// Renews the lease and reads the Job until it ends; returns the final status (null when the lease was lost) and an
    /// error for the ends Strata caused (cancel, timeout, stop) or saw (a pod that cannot start, the Job gone).
    /// </summary>
    private async Task<(string? Status, string? Error)> SuperviseAsync(
        IKubernetes client, string name, string ns, JobExecution execution, JobSpec spec, string replica, CancellationToken stopping)
    {
        var started = _time.GetTimestamp();
        var timeout = spec.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
        var nextBeat = TimeSpan.Zero;
        while (true)
        {
            if (stopping.IsCancellationRequested)
            {
                return (JobExecutionStatus.Failed, "the server running it stopped; its Kubernetes Job was deleted");
            }

            if (_time.GetElapsedTime(started) >= nextBeat)
            {
                nextBeat = _time.GetElapsedTime(started) + _settings.EffectiveHeartbeat;
                JobHeartbeat? beat = null;
                try
                {
                    beat = await _store.HeartbeatAsync(execution.Id, replica, Now(), LeaseMs, stopping).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogHeartbeatFailed(_logger, e, execution.Id);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                if (beat is { Owned: false })
                {
                    return (null, null);
                }

                if (beat is { CancelRequested: true })
                {
                    return (JobExecutionStatus.Cancelled, "cancelled on request; the Kubernetes Job was deleted");
                }
            }

            if (timeout is { } limit && _time.GetElapsedTime(started) >= limit)
            {
                return (JobExecutionStatus.TimedOut, $"no exit within the timeout of {limit.TotalSeconds:0.###} s; the Kubernetes Job was deleted");
            }

            try
            {
                var job = await client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: stopping).ConfigureAwait(false);
                if (Ended(job) is { } ended)
                {
                    return ended;
                }

                if (await HopelessAsync(client, ns, execution.Id, stopping).ConfigureAwait(false) is { } hopeless)
                {
                    return (JobExecutionStatus.Failed, hopeless);
                }
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
            {
                return (JobExecutionStatus.Failed, $"the Kubernetes Job {ns}/{name} was deleted outside Strata");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The API server may be back before the deadline; the lease keeps the execution this replica's meanwhile.
                LogPollFailed(_logger, e, name);
            }
            catch (OperationCanceledException)
            {
                continue;
            }

            var wait = _settings.Kubernetes.PollInterval < _settings.EffectiveHeartbeat ? _settings.Kubernetes.PollInterval : _settings.EffectiveHeartbeat;
            if (timeout is { } t && t - _time.GetElapsedTime(started) is var left && left < wait)
            {
                wait = left > TimeSpan.Zero ? left : TimeSpan.Zero;
            }

            try
            {
                await Task.Delay(wait, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>The Job's end as Kubernetes reports it: a succeeded pod, a failed one, or the deadline.</summary>
    private static (string Status, string? Error)? Ended(V1Job job)
    {
        var status = job.Status;
        if (status is null)
        {
            return null;
        }

        var failed = status.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
        if (failed is not null)
        {
            return failed.Reason == "DeadlineExceeded"
                ? (JobExecutionStatus.TimedOut, $"the Kubernetes Job passed its activeDeadlineSeconds ({job.Spec?.ActiveDeadlineSeconds} s) and was stopped")
                : (JobExecutionStatus.Failed, null);
        }

        if (status.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true || status.Succeeded > 0)
        {
            return (JobExecutionStatus.Succeeded, null);
        }

        return status.Failed > 0 ? (JobExecutionStatus.Failed, null) : null;
    }

    private static async Task<string?> HopelessAsync(IKubernetes client, string ns, string executionId, CancellationToken ct)
    {
        var pod = await LatestPodAsync(client, ns, executionId, ct).ConfigureAwait(false);
        var waiting = pod?.Status?.ContainerStatuses?.Select(c => c.State?.Waiting).FirstOrDefault(w => w?.Reason is { } r && HopelessWaits.Contains(r));
        return waiting is null ? null : $"the pod {pod!.Metadata.Name} cannot start: {waiting.Reason}: {waiting.Message}";
    }

    private static async Task<V1Pod?> LatestPodAsync(IKubernetes client, string ns, string executionId, CancellationToken ct = default)
    {
        try
        {
            var pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"{KubernetesJobTemplate.ExecutionLabel}={executionId}", cancellationToken: ct).ConfigureAwait(false);
            return pods.Items.OrderByDescending(p => p.Metadata?.CreationTimestamp ?? DateTime.MinValue).FirstOrDefault();
        }
        catch (HttpOperationException)
        {
            return null;
        }
    }

    private async Task CopyLogAsync(IKubernetes client, V1Pod pod, string ns, string container, string artifactUri)
    {
        try
        {
            using var log = await client.CoreV1.ReadNamespacedPodLogAsync(pod.Metadata.Name, ns, container: container).ConfigureAwait(false);
            using var location = _artifacts.Resolve(artifactUri, JobRunTracking.StdoutPath);
            await location.Store.UploadAsync(location.Path, log, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // A pod that never started has no log; the execution's record says why.
            LogLogCopyFailed(_logger, e, pod.Metadata?.Name, artifactUri);
        }
    }

    private async Task DeleteJobAsync(IKubernetes client, string name, string ns)
    {
        try
        {
            // Background: the Job goes at once and the garbage collector removes its pod (Orphan, the API's default
            // for Jobs, would leave the pod running).
            await client.BatchV1.DeleteNamespacedJobAsync(name, ns, propagationPolicy: "Background").ConfigureAwait(false);
            LogDeleted(_logger, name, ns);
        }
        catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound)
        {
        }
        catch (Exception e)
        {
            // ttlSecondsAfterFinished and activeDeadlineSeconds still bound what is left behind.
            LogDeleteFailed(_logger, e, name, ns);
        }
    }

    private async Task FinishAsync(JobExecution execution, string replica, string runId, string status, int? exitCode, string? error)
    {
        var ended = Now();
        await _tracking.EndRunAsync(runId, status, exitCode, ended, CancellationToken.None).ConfigureAwait(false);
        await _store.FinishAsync(execution.Id, replica, new JobOutcome(status, exitCode, error, ended), CancellationToken.None).ConfigureAwait(false);
    }

    private Dictionary<string, string> Environment(JobExecution execution, JobSpec spec, string runId)
    {
        var env = new Dictionary<string, string>(spec.Env, StringComparer.Ordinal);
        if (!env.ContainsKey("MLFLOW_TRACKING_URI") && _settings.Kubernetes.TrackingUri is { } uri)
        {
            env["MLFLOW_TRACKING_URI"] = uri;
        }

        foreach (var (k, v) in JobRunTracking.ExecutionEnvironment(execution, spec, runId))
        {
            env[k] = v;
        }

        return env;
    }

    private (IKubernetes Client, string Namespace) Client(JobSpec spec)
    {
        var (client, ns) = _client.Value;
        return (client, spec.Kubernetes?.Namespace ?? _settings.Kubernetes.Namespace ?? ns);
    }

    private (IKubernetes, string) Connect()
    {
        var o = _settings.Kubernetes;
        var config = o.Kubeconfig is not null ? KubernetesClientConfiguration.BuildConfigFromConfigFile(o.Kubeconfig)
            : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildDefaultConfig();
        return (new Kubernetes(config), config.Namespace is { Length: > 0 } ns ? ns : "default");
    }

    private static string Describe(Exception e) => e is HttpOperationException h
        ? $"{(int)h.Response.StatusCode} {h.Response.StatusCode}: {h.Response.Content}"
        : e.Message;

    private long LeaseMs => (long)_settings.Lease.TotalMilliseconds;

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(Level = LogLevel.Information, Message = "Created Kubernetes Job {Namespace}/{Name} for execution {ExecutionId}")]
    private static partial void LogCreated(ILogger logger, string name, string @namespace, string executionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted Kubernetes Job {Namespace}/{Name}")]
    private static partial void LogDeleted(ILogger logger, string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not delete Kubernetes Job {Namespace}/{Name}")]
    private static partial void LogDeleteFailed(ILogger logger, Exception e, string name, string @namespace);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read Kubernetes Job {Name}")]
    private static partial void LogPollFailed(ILogger logger, Exception e, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of job execution {ExecutionId} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception e, string executionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not copy the log of pod {Pod} into {ArtifactUri}")]
    private static partial void LogLogCopyFailed(ILogger logger, Exception e, string? pod, string artifactUri);
}
