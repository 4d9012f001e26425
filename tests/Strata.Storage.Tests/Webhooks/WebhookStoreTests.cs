using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Core.Webhooks;
using Strata.Storage.Tests.Registry;
using Strata.Storage.Webhooks;

namespace Strata.Storage.Tests.Webhooks;

/// <summary>The webhook outbox on SQLite; the PostgreSQL subclass runs the same tests there.</summary>
public class WebhookStoreTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;
    private WebhookStore _store = null!;

    public async Task InitializeAsync()
    {
        _f = await CreateFixtureAsync();
        _store = new WebhookStore(_f.Database);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    private long Now => _f.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private Task<Webhook> HookAsync(string name, params WebhookEvent[] events) =>
        _store.CreateAsync(name, null, "http://127.0.0.1:1/" + name, events, "s", WebhookStatus.ACTIVE, Now, default);

    private static readonly WebhookEvent ModelCreated = new("registered_model", "created");
    private static readonly WebhookEvent VersionCreated = new("model_version", "created");

    [Fact]
    public async Task Events_become_one_delivery_per_subscription_exactly_once()
    {
        await _f.Service.CreateRegisteredModelAsync("before-hooks", null, null, null, null, default);
        var a = await HookAsync("a", ModelCreated, VersionCreated);
        var b = await HookAsync("b", VersionCreated);
        await _f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await _f.Service.CreateModelVersionAsync("m", "s3://b/m", null, null, null, null, null, null, default);

        // Two enqueuers racing (replicas) over the same events create each delivery once.
        var counts = await Task.WhenAll(_store.EnqueueAsync(100, Now, default), _store.EnqueueAsync(100, Now, default));
        Assert.True(counts.Sum() >= 3);
        Assert.Equal(0, await _store.EnqueueAsync(100, Now, default));

        var forA = (await _store.ListDeliveriesAsync(a.Id, 100, null, default)).Items.Select(d => d.Delivery.Event.ToString());
        var forB = (await _store.ListDeliveriesAsync(b.Id, 100, null, default)).Items.Select(d => d.Delivery.Event.ToString());
        Assert.Equal(["model_version.created", "registered_model.created"], forA); // newest first; nothing from before the webhook
        Assert.Equal(["model_version.created"], forB);
    }

    [Fact]
    public async Task Claims_lease_the_oldest_pending_delivery_of_each_webhook()
    {
        var hook = await HookAsync("ordered", ModelCreated);
        foreach (var name in new[] { "one", "two", "three" })
        {
            await _f.Service.CreateRegisteredModelAsync(name, null, null, null, null, default);
        }

        await _store.EnqueueAsync(100, Now, default);
        var first = Assert.Single(await _store.ClaimDueAsync(Now, 60_000, 10, default));
        Assert.Contains("\"one\"", first.Payload);
        Assert.Equal("s", first.Secret);
        Assert.Empty(await _store.ClaimDueAsync(Now, 60_000, 10, default)); // leased, and nothing may overtake it

        // A retryable failure keeps it at the head until its next attempt is due.
        await _store.RecordAttemptAsync(first.Id, new DeliveryAttempt(503, "busy", null, 5), Now, Now + 1_000, default);
        Assert.Empty(await _store.ClaimDueAsync(Now, 60_000, 10, default));
        var again = Assert.Single(await _store.ClaimDueAsync(Now + 1_000, 60_000, 10, default));
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(1, again.Attempts);
        await _store.RecordAttemptAsync(again.Id, new DeliveryAttempt(200, "ok", null, 3), Now + 1_000, null, default);

        var next = Assert.Single(await _store.ClaimDueAsync(Now + 1_000, 60_000, 10, default));
        Assert.Contains("\"two\"", next.Payload);

        // A lease that lapses (the process died mid-attempt) hands the delivery to the next claimer.
        var reclaimed = Assert.Single(await _store.ClaimDueAsync(Now + 61_001, 60_000, 10, default));
        Assert.Equal(next.Id, reclaimed.Id);

        var log = (await _store.ListDeliveriesAsync(hook.Id, 100, null, default)).Items.Single(d => d.Delivery.Id == first.Id);
        Assert.Equal(DeliveryState.Succeeded, log.Delivery.State);
        Assert.Equal([503, 200], log.AttemptLog.Select(a => a.StatusCode));
        Assert.Equal("busy", log.AttemptLog[0].Error);
    }

    [Fact]
    public async Task Deleted_and_disabled_webhooks_are_not_claimed()
    {
        var gone = await HookAsync("gone", ModelCreated);
        var off = await HookAsync("off", ModelCreated);
        await _f.Service.CreateRegisteredModelAsync("x", null, null, null, null, default);
        await _store.EnqueueAsync(100, Now, default);
        Assert.True(await _store.DeleteAsync(gone.Id, Now, default));
        Assert.False(await _store.DeleteAsync(gone.Id, Now, default));
        await _store.UpdateAsync(off.Id, new WebhookChanges(null, null, null, null, null, WebhookStatus.DISABLED), Now, default);
        Assert.Empty(await _store.ClaimDueAsync(Now, 60_000, 10, default));
        Assert.Equal(DeliveryState.Failed, (await _store.ListDeliveriesAsync(gone.Id, 10, null, default)).Items.Single().Delivery.State);

        await _store.UpdateAsync(off.Id, new WebhookChanges(null, null, null, null, null, WebhookStatus.ACTIVE), Now, default);
        Assert.Single(await _store.ClaimDueAsync(Now, 60_000, 10, default));
    }

    [Fact]
    public async Task Updates_replace_events_and_keep_the_secret_private()
    {
        var hook = await HookAsync("upd", ModelCreated);
        var updated = await _store.UpdateAsync(hook.Id, new WebhookChanges("renamed", "d", null, [VersionCreated], "new-secret", null), Now, default);
        Assert.Equal("renamed", updated!.Name);
        Assert.Equal([VersionCreated], updated.Events);
        Assert.Equal(hook.Url, updated.Url);
        Assert.Equal("new-secret", await _store.GetSecretAsync(hook.Id, default));
        Assert.Null(await _store.UpdateAsync("missing", new WebhookChanges("x", null, null, null, null, null), Now, default));
    }
}
