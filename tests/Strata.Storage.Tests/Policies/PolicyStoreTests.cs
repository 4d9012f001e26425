using Dapper;
using Strata.Core.Errors;
using Strata.Core.Policies;
using Strata.Storage.Policies;
using Strata.Storage.Tests.Registry;

namespace Strata.Storage.Tests.Policies;

/// <summary>Policies and their decisions on SQLite; the PostgreSQL subclass runs the same tests there.</summary>
public class PolicyStoreTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;
    private PolicyStore _store = null!;

    public async Task InitializeAsync()
    {
        _f = await CreateFixtureAsync();
        _store = new PolicyStore(_f.Database);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    private long Now => _f.Time.GetUtcNow().ToUnixTimeMilliseconds();

    private static PolicySpec Spec(string model, string name = "gate") =>
        new(name, model, new PolicyGate("val_rmse", MetricDirection.Min, 0.02), new PolicyActions(SetAlias: "challenger", Promote: true), "d");

    private Task VersionAsync(string model) =>
        _f.Service.CreateModelVersionAsync(model, "s3://b/" + model, null, null, null, null, null, null, default);

    [Fact]
    public async Task Policies_round_trip_and_delete_softly()
    {
        await _f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        var created = await _store.CreatePolicyAsync(Spec("m"));
        Assert.Equal(Spec("m"), created.Spec);
        Assert.Equal(created, await _store.GetAsync(created.Id, default));

        var other = await _store.CreateAsync(Spec("other", "second"), Now, default);
        Assert.Equal([created.Id, other.Id], (await _store.ListAsync(null, 10, null, default)).Items.Select(p => p.Id));
        Assert.Equal([other.Id], (await _store.ListAsync("other", 10, null, default)).Items.Select(p => p.Id));
        var page = await _store.ListAsync(null, 1, null, default);
        Assert.Equal([created.Id], page.Items.Select(p => p.Id));
        Assert.Equal([other.Id], (await _store.ListAsync(null, 1, page.NextPageToken, default)).Items.Select(p => p.Id));

        var changed = Spec("m") with { Enabled = false, Gate = new PolicyGate("auc", MetricDirection.Max) };
        Assert.Equal(changed, (await _store.UpdateAsync(created.Id, changed, Now, default))!.Spec);
        Assert.True(await _store.DeleteAsync(created.Id, Now, default));
        Assert.False(await _store.DeleteAsync(created.Id, Now, default));
        Assert.Null(await _store.GetAsync(created.Id, default));
        Assert.Null(await _store.UpdateAsync(created.Id, changed, Now, default));
    }

    [Fact]
    public async Task New_versions_become_one_decision_per_policy_exactly_once()
    {
        await _f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await VersionAsync("m"); // before the policy: never judged
        var policy = await _store.CreatePolicyAsync(Spec("m"));
        var disabled = await _store.CreateAsync(Spec("m", "off") with { Enabled = false }, Now, default);
        await _f.Service.CreateRegisteredModelAsync("unrelated", null, null, null, null, default);
        await VersionAsync("unrelated");
        await VersionAsync("m");
        await VersionAsync("m");

        // Two replicas racing over the same events create each decision once; a second pass finds nothing new.
        var counts = await Task.WhenAll(_store.EnqueueAsync(100, Now, default), _store.EnqueueAsync(100, Now, default));
        Assert.True(counts.Sum() >= 4);
        Assert.Equal(0, await _store.EnqueueAsync(100, Now, default));

        var decisions = (await _store.ListDecisionsAsync(policy.Id, 10, null, default)).Items;
        Assert.Equal([3L, 2L], decisions.Select(d => d.Version)); // newest first
        Assert.All(decisions, d => Assert.Equal(DecisionStatus.PENDING_EVALUATION, d.Status));
        Assert.All(decisions, d => Assert.NotNull(d.EventId));
        Assert.Empty((await _store.ListDecisionsAsync(disabled.Id, 10, null, default)).Items);
    }

    [Fact]
    public async Task A_claimed_decision_is_leased_to_one_claimer_and_saved_with_its_event()
    {
        await _f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        var policy = await _store.CreatePolicyAsync(Spec("m"));
        await VersionAsync("m");
        await _store.EnqueueAsync(100, Now, default);

        var claims = await Task.WhenAll(_store.ClaimAsync(Now, 60_000, 10, null, default), _store.ClaimAsync(Now, 60_000, 10, null, default));
        var claimed = Assert.Single(claims.SelectMany(c => c));
        Assert.Empty(await _store.ClaimAsync(Now, 60_000, 10, null, default));
        Assert.Single(await _store.ClaimAsync(Now + 60_000, 60_000, 10, claimed.Id, default)); // the lease ran out

        var refused = claimed with { Status = DecisionStatus.REFUSED, Reasons = ["metric 'val_rmse' is missing"], Details = new DecisionDetails { Metric = "val_rmse" }, UpdatedAt = Now };
        var before = await _f.CountAsync("SELECT COUNT(*) FROM registry_events WHERE event_type = 'policy.decided'");
        Assert.True(await _store.SaveAsync(refused, DecisionStatus.PENDING_EVALUATION, PolicyJson.DecidedPayload(policy, refused), default));
        Assert.False(await _store.SaveAsync(refused with { Status = DecisionStatus.PROMOTED }, DecisionStatus.PENDING_EVALUATION, "{}", default));
        Assert.Equal(before + 1, await _f.CountAsync("SELECT COUNT(*) FROM registry_events WHERE event_type = 'policy.decided'"));

        var stored = (await _store.GetDecisionAsync(claimed.Id, default))!;
        Assert.Equal(refused with { Reasons = [] }, stored with { Reasons = [] });
        Assert.Equal(refused.Reasons, stored.Reasons);
        Assert.Empty(await _store.ClaimAsync(Now + 120_000, 60_000, 10, null, default)); // settled: never claimed again

        var payload = await _f.Database.ReadAsync(
            (c, ct) => c.QuerySingleAsync<string>(new CommandDefinition("SELECT after_json FROM registry_events WHERE event_type = 'policy.decided'", cancellationToken: ct)), default);
        Assert.Contains("\"status\":\"REFUSED\"", payload);
        Assert.Contains("\"policy_name\":\"gate\"", payload);
    }

    [Fact]
    public async Task A_name_is_unique_among_a_models_live_policies()
    {
        await _f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await _f.Service.CreateRegisteredModelAsync("other", null, null, null, null, default);
        var first = await _store.CreatePolicyAsync(Spec("m", "gate"));
        var taken = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateAsync(Spec("m", "gate"), Now, default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, taken.Code);
        Assert.Contains("'gate'", taken.Message);
        await _store.CreateAsync(Spec("other", "gate"), Now, default); // another model's policy may share it

        var second = await _store.CreateAsync(Spec("m", "second"), Now, default);
        var renamed = await Assert.ThrowsAsync<MlflowException>(() => _store.UpdateAsync(second.Id, Spec("m", "gate"), Now, default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, renamed.Code);
        Assert.Equal("second", (await _store.GetAsync(second.Id, default))!.Spec.Name);

        // A deleted policy's name is free again.
        await _store.DeleteAsync(first.Id, Now, default);
        Assert.Equal("gate", (await _store.UpdateAsync(second.Id, Spec("m", "gate"), Now, default))!.Spec.Name);
    }

    [Fact]
    public async Task The_names_migration_renames_all_but_the_oldest_live_duplicate()
    {
        await _f.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition("DROP INDEX ux_policies_model_name", transaction: tx, cancellationToken: ct)), default);
        var spec = PolicyJson.SerializeSpec(Spec("m", "gate"));
        var rows = new[] { ("b", 100L, (long?)null), ("a", 100L, null), ("c", 50L, 10L), ("d", 200L, null), ("e", 100L, null) };
        foreach (var (id, created, deleted) in rows)
        {
            await _f.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO policies (policy_id, name, model_name, spec, enabled, creation_timestamp, last_updated_timestamp, deleted_timestamp, first_event_id)
                VALUES (@id, 'gate', 'm', @spec, 1, @created, @created, @deleted, 0)
                """,
                new { id, spec, created, deleted }, tx, cancellationToken: ct)), default);
        }

        var migration = new Strata.Storage.Migrations.M0017_PolicyNames();
        await _f.Database.WriteAsync((c, tx, ct) => c.ExecuteAsync(new CommandDefinition(migration.Sql(_f.Database.Dialect.Kind), transaction: tx, cancellationToken: ct)), default);

        // The deleted one (c) does not count; of the live ones, the oldest (then the smallest id) keeps the name.
        Assert.Equal("gate", (await _store.GetAsync("a", default))!.Spec.Name);
        Assert.Equal("gate (b)", (await _store.GetAsync("b", default))!.Spec.Name);
        Assert.Equal("gate (d)", (await _store.GetAsync("d", default))!.Spec.Name);
        Assert.Equal("gate (e)", (await _store.GetAsync("e", default))!.Spec.Name);
        Assert.Equal(1, await _f.CountAsync("SELECT COUNT(*) FROM policies WHERE policy_id = 'b' AND name = 'gate (b)'"));
        Assert.Equal(1, await _f.CountAsync("SELECT COUNT(*) FROM policies WHERE policy_id = 'c' AND name = 'gate'"));
        await Assert.ThrowsAsync<MlflowException>(() => _store.CreateAsync(Spec("m", "gate"), Now, default));
    }

    [Fact]
    public async Task On_demand_decisions_have_no_event_and_deleted_policies_are_not_claimed()
    {
        await _f.Service.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await VersionAsync("m");
        var policy = await _store.CreatePolicyAsync(Spec("m"));
        var first = await _store.CreateDecisionAsync(policy.Id, "m", 1, Now, default);
        var second = await _store.CreateDecisionAsync(policy.Id, "m", 1, Now, default);
        Assert.Null(first.EventId);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(2, (await _store.ListDecisionsAsync(policy.Id, 10, null, default)).Items.Count);

        await _store.DeleteAsync(policy.Id, Now, default);
        Assert.Empty(await _store.ClaimAsync(Now, 60_000, 10, null, default));
    }
}

internal static class PolicyStoreTestExtensions
{
    public static Task<Policy> CreatePolicyAsync(this PolicyStore store, PolicySpec spec) => store.CreateAsync(spec, 1_000, default);
}
