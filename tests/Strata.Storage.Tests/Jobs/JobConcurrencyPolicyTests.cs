using Strata.Core.Jobs;
using Strata.Storage.Jobs;
using Strata.Storage.Tests.Registry;

namespace Strata.Storage.Tests.Jobs;

/// <summary>
/// A job's concurrency policy as the claim enforces it, on SQLite; the PostgreSQL subclass runs the same tests there,
/// where replicas claim in parallel and the job's row lock makes them see each other's claims.
/// </summary>
public class JobConcurrencyPolicyTests : IAsyncLifetime
{
    private const long Lease = 60_000;
    private RegistryFixture _f = null!;
    private JobStore _store = null!;

    public async Task InitializeAsync()
    {
        _f = await CreateFixtureAsync();
        _store = new JobStore(_f.Database);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    private long _clock = 1_000_000;

    private long Now() => Interlocked.Increment(ref _clock);

    private static JobSpec Spec(string policy, int? max = null) =>
        new("/bin/true", [], new Dictionary<string, string>(), null, null, "0", "* * * * *", null, [], null, true, null,
            JobRunners.Local, null, policy, max);

    private async Task<Job> JobAsync(string policy, int? max = null) =>
        await _store.CreateAsync("job-" + Guid.NewGuid().ToString("N")[..8], Spec(policy, max), Now(), default);

    private async Task<JobExecution> ScheduledAsync(Job job, long at) =>
        (await _store.EnqueueAsync(job.Id, JobTriggers.Schedule, at, Now(), default))!;

    private async Task<string> StatusAsync(string id) => (await _store.GetExecutionAsync(id, default))!.Status;

    [Fact]
    public async Task Forbid_skips_a_scheduled_execution_while_one_runs_and_records_it()
    {
        var job = await JobAsync(JobConcurrencyPolicies.Forbid);
        var first = await ScheduledAsync(job, 60_000);
        Assert.Single(await _store.ClaimAsync("r1", Now(), Lease, 10, default));

        var second = await ScheduledAsync(job, 120_000);
        Assert.Empty(await _store.ClaimAsync("r2", Now(), Lease, 10, default));
        var skipped = (await _store.GetExecutionAsync(second.Id, default))!;
        Assert.Equal(JobExecutionStatus.Skipped, skipped.Status);
        Assert.True(JobExecutionStatus.IsFinal(skipped.Status));
        Assert.NotNull(skipped.EndedAt);
        Assert.Contains("forbid", skipped.Error);
        Assert.Equal(1, await _f.CountAsync("SELECT COUNT(*) FROM registry_events WHERE event_type = 'job.finished' AND after_json LIKE '%skipped%'"));

        // An on-demand run is never skipped: it waits for the slot and starts once the running one ends.
        var manual = (await _store.EnqueueAsync(job.Id, JobTriggers.Manual, null, Now(), default))!;
        Assert.Empty(await _store.ClaimAsync("r2", Now(), Lease, 10, default));
        Assert.Equal(JobExecutionStatus.Queued, await StatusAsync(manual.Id));
        await _store.FinishAsync(first.Id, "r1", new JobOutcome(JobExecutionStatus.Succeeded, 0, null, Now()), default);
        Assert.Equal(manual.Id, Assert.Single(await _store.ClaimAsync("r2", Now(), Lease, 10, default)).Execution.Id);
    }

    [Fact]
    public async Task Forbid_is_the_default_and_max_concurrent_raises_its_limit()
    {
        Assert.Equal(JobConcurrencyPolicies.Forbid, JobValidation.ConcurrencyPolicy(null));
        var job = await JobAsync(JobConcurrencyPolicies.Forbid, max: 2);
        await ScheduledAsync(job, 60_000);
        await ScheduledAsync(job, 120_000);
        await ScheduledAsync(job, 180_000);
        var claimed = await _store.ClaimAsync("r1", Now(), Lease, 10, default);
        Assert.Equal(2, claimed.Count);
        var executions = (await _store.ListExecutionsAsync(job.Id, 10, null, default)).Items;
        Assert.Equal(1, executions.Count(e => e.Status == JobExecutionStatus.Skipped));
    }

    [Fact]
    public async Task Replace_asks_the_running_execution_to_stop_and_starts_the_new_one()
    {
        var job = await JobAsync(JobConcurrencyPolicies.Replace);
        var first = await ScheduledAsync(job, 60_000);
        Assert.Single(await _store.ClaimAsync("r1", Now(), Lease, 10, default));

        var second = await ScheduledAsync(job, 120_000);
        Assert.Equal(second.Id, Assert.Single(await _store.ClaimAsync("r2", Now(), Lease, 10, default)).Execution.Id);
        Assert.True((await _store.HeartbeatAsync(first.Id, "r1", Now(), Lease, default)).CancelRequested);
        Assert.False((await _store.HeartbeatAsync(second.Id, "r2", Now(), Lease, default)).CancelRequested);
    }

    [Fact]
    public async Task Allow_runs_them_all_unless_max_concurrent_holds_some_back_in_the_queue()
    {
        var unlimited = await JobAsync(JobConcurrencyPolicies.Allow);
        await ScheduledAsync(unlimited, 60_000);
        await ScheduledAsync(unlimited, 120_000);
        Assert.Equal(2, (await _store.ClaimAsync("r1", Now(), Lease, 10, default)).Count);

        var limited = await JobAsync(JobConcurrencyPolicies.Allow, max: 1);
        var a = await ScheduledAsync(limited, 60_000);
        var b = await ScheduledAsync(limited, 120_000);
        Assert.Equal(a.Id, Assert.Single(await _store.ClaimAsync("r1", Now(), Lease, 10, default)).Execution.Id);
        Assert.Equal(JobExecutionStatus.Queued, await StatusAsync(b.Id));
        await _store.FinishAsync(a.Id, "r1", new JobOutcome(JobExecutionStatus.Failed, 1, "exit code 1", Now()), default);
        Assert.Equal(b.Id, Assert.Single(await _store.ClaimAsync("r1", Now(), Lease, 10, default)).Execution.Id);
    }

    [Fact]
    public async Task Replicas_claiming_at_once_start_one_execution_of_a_forbid_job()
    {
        for (var round = 0; round < 5; round++)
        {
            var job = await JobAsync(JobConcurrencyPolicies.Forbid);
            for (var i = 1; i <= 4; i++)
            {
                await ScheduledAsync(job, i * 60_000);
            }

            // Each replica claims one at a time, so without the job's lock each could take a different execution.
            var claims = await Task.WhenAll(Enumerable.Range(0, 4).Select(r => Task.Run(() => _store.ClaimAsync("r" + r, Now(), Lease, 1, default))));
            Assert.Single(claims.SelectMany(c => c));
            var executions = (await _store.ListExecutionsAsync(job.Id, 10, null, default)).Items;
            Assert.Equal(1, executions.Count(e => e.Status == JobExecutionStatus.Running));
        }
    }
}
