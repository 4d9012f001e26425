using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Core.Jobs;

/// <summary>The job API's rules: validation, defaults, not-found errors, on-demand runs and cancels.</summary>
public sealed class JobService(IJobStore store, ITrackingStore tracking, TimeProvider time)
{
    public IJobStore Store => store;

    public async Task<Job> CreateAsync(JobChanges request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = JobValidation.Name(request.Name);
        var spec = await SpecAsync(request, null, ct).ConfigureAwait(false);
        return WithNext(await store.CreateAsync(name, spec, Now(), ct).ConfigureAwait(false));
    }

    public async Task<Job> GetAsync(string? name, CancellationToken ct) =>
        WithNext(await store.GetAsync(RequireName(name), ct).ConfigureAwait(false) ?? throw NotFound(name!));

    public async Task<Page<Job>> ListAsync(long? maxResults, string? pageToken, CancellationToken ct)
    {
        var page = await store.ListAsync(JobValidation.PageSize(maxResults), pageToken, ct).ConfigureAwait(false);
        return page with { Items = page.Items.Select(WithNext).ToList() };
    }

    /// <summary>Changes the fields given; an empty string clears an optional one (schedule, working dir, ...).</summary>
    public async Task<Job> UpdateAsync(string? name, JobChanges request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var current = await GetAsync(name, ct).ConfigureAwait(false);
        if (request.Name is not null && request.Name != current.Name)
        {
            throw MlflowException.InvalidParameter($"Invalid value '{request.Name}' for parameter 'name': a job cannot be renamed (it is '{current.Name}').");
        }

        var spec = await SpecAsync(request, current.Spec, ct).ConfigureAwait(false);
        return WithNext(await store.UpdateAsync(current.Name, spec, Now(), ct).ConfigureAwait(false) ?? throw NotFound(current.Name));
    }

    public async Task DeleteAsync(string? name, CancellationToken ct)
    {
        if (!await store.DeleteAsync(RequireName(name), Now(), ct).ConfigureAwait(false))
        {
            throw NotFound(name!);
        }
    }

    /// <summary>Queues an on-demand execution; a replica with a free slot starts it within a poll interval.</summary>
    public async Task<JobExecution> RunAsync(string? name, CancellationToken ct)
    {
        var job = await GetAsync(name, ct).ConfigureAwait(false);
        return await store.EnqueueAsync(job.Id, JobTriggers.Manual, null, Now(), ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException("an on-demand execution cannot conflict");
    }

    public async Task<JobExecution> GetExecutionAsync(string? executionId, CancellationToken ct) =>
        await store.GetExecutionAsync(RequireExecution(executionId), ct).ConfigureAwait(false) ?? throw ExecutionNotFound(executionId!);

    public async Task<Page<JobExecution>> ListExecutionsAsync(string? name, long? maxResults, string? pageToken, CancellationToken ct)
    {
        var job = await GetAsync(name, ct).ConfigureAwait(false);
        return await store.ListExecutionsAsync(job.Id, JobValidation.PageSize(maxResults), pageToken, ct).ConfigureAwait(false);
    }

    /// <summary>Cancels a queued execution or asks its runner to kill a running one; a finished one is left as it is.</summary>
    public async Task<JobExecution> CancelAsync(string? executionId, CancellationToken ct) =>
        await store.CancelAsync(RequireExecution(executionId), Now(), ct).ConfigureAwait(false) ?? throw ExecutionNotFound(executionId!);

    private async Task<JobSpec> SpecAsync(JobChanges r, JobSpec? current, CancellationToken ct)
    {
        var command = r.Command is not null ? JobValidation.Command(r.Command) : current?.Command ?? JobValidation.Command(null);
        var args = r.Args is not null ? JobValidation.Args(r.Args) : current?.Args ?? [];
        var env = r.Env is not null ? JobValidation.Env(r.Env) : current?.Env ?? new Dictionary<string, string>();
        var workingDir = Optional(r.WorkingDir, current?.WorkingDir);
        var timeoutMs = r.TimeoutSeconds is not null ? JobValidation.TimeoutMs(r.TimeoutSeconds) : current?.TimeoutMs;
        var schedule = Optional(r.Schedule, current?.Schedule);
        // Removing the schedule removes its time zone, unless the request names one (then it is an error below).
        var zone = schedule is null && r.TimeZone is null ? null : Optional(r.TimeZone, current?.TimeZone);
        if (schedule is not null || zone is not null)
        {
            if (schedule is null)
            {
                throw MlflowException.InvalidParameter("Parameter 'timezone' needs a 'schedule'.");
            }

            JobSchedule.Parse(schedule, zone);
        }

        var eventTypes = r.EventTypes is not null ? JobValidation.EventTypes(r.EventTypes) : current?.EventTypes ?? [];
        var eventModel = Optional(r.EventModelName, current?.EventModelName);
        var experimentId = r.ExperimentId is { Length: > 0 } e ? e : current?.ExperimentId ?? TrackingService.DefaultExperimentId;
        if (experimentId != current?.ExperimentId)
        {
            var experiment = await tracking.GetExperimentAsync(experimentId, ct).ConfigureAwait(false);
            if (experiment is null || experiment.LifecycleStage != LifecycleStage.Active)
            {
                throw MlflowException.InvalidParameter($"Invalid value '{experimentId}' for parameter 'experiment_id': no active experiment with this id.");
            }
        }

        var runner = r.Runner is not null ? JobValidation.Runner(r.Runner) : current?.Runner ?? JobRunners.Local;
        var kubernetes = r.Kubernetes is not null ? JobValidation.Kubernetes(r.Kubernetes) : current?.Kubernetes;
        var concurrency = r.ConcurrencyPolicy is not null ? JobValidation.ConcurrencyPolicy(r.ConcurrencyPolicy) : current?.ConcurrencyPolicy ?? JobConcurrencyPolicies.Forbid;
        var maxConcurrent = r.MaxConcurrent is not null ? JobValidation.MaxConcurrent(r.MaxConcurrent) : current?.MaxConcurrent;
        return new JobSpec(command, args, env, workingDir, timeoutMs, experimentId, schedule, zone, eventTypes, eventModel,
            r.Enabled ?? current?.Enabled ?? true, Optional(r.Description, current?.Description),
            runner, runner == JobRunners.Kubernetes ? kubernetes ?? new KubernetesJobSpec() : kubernetes, concurrency, maxConcurrent);
    }

    private Job WithNext(Job job) =>
        job.Spec is { Enabled: true, Schedule: { } schedule }
            ? job with { NextScheduledAt = JobSchedule.Parse(schedule, job.Spec.TimeZone).NextAfter(Math.Max(job.ScheduleFrom, Now())) }
            : job;

    private static string? Optional(string? given, string? current) => given is null ? current : given.Length == 0 ? null : given;

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static string RequireName(string? name) => string.IsNullOrEmpty(name) ? throw MlflowException.MissingParameter("name") : name;

    private static string RequireExecution(string? id) => string.IsNullOrEmpty(id) ? throw MlflowException.MissingParameter("execution_id") : id;

    private static MlflowException NotFound(string name) => MlflowException.NotFound($"Job '{name}' not found.");

    private static MlflowException ExecutionNotFound(string id) => MlflowException.NotFound($"Job execution '{id}' not found.");
}
