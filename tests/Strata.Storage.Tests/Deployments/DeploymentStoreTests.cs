using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Storage.Deployments;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Deployments;

public sealed class SqliteDeploymentStoreTests(SqliteDatabaseFixture fixture) : DeploymentStoreTests<SqliteDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresDeploymentStoreTests(PostgresDatabaseFixture fixture) : DeploymentStoreTests<PostgresDatabaseFixture>(fixture);

public abstract class DeploymentStoreTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IDatabaseFixture
{
    private readonly DeploymentStore _store = new(fixture.Database);
    private readonly ServiceMetricsStore _metrics = new(fixture.Database);

    private static DeploymentSpec Spec(params (long Version, double Weight)[] legs) =>
        new(legs.Select(l => new RouteTarget(new ModelTarget("m", l.Version, null), l.Weight)).ToList());

    private static string NewName() => "d-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Every_change_is_a_new_revision_and_the_pointer_follows()
    {
        var name = NewName();
        var created = await _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite("alice", 1_000), default);
        Assert.Equal(1, created.CurrentRevision);
        Assert.Equal("alice", created.Current.CreatedBy);

        var updated = await _store.UpdateAsync(name, 1, Spec((1, 90), (2, 10)), null, new DeploymentWrite("bob", 2_000), default);
        Assert.Equal(2, updated.CurrentRevision);
        Assert.Equal(2_000, updated.LastUpdatedTimestamp);
        Assert.Equal(1_000, updated.CreationTimestamp);
        Assert.Equal(2, updated.Current.Spec.Route.Count);

        var rolledBack = await _store.UpdateAsync(name, 2, (await _store.GetRevisionAsync(name, 1, default))!.Spec, 1, new DeploymentWrite("carol", 3_000), default);
        Assert.Equal(3, rolledBack.CurrentRevision);
        Assert.Equal(1, rolledBack.Current.RolledBackFrom);
        Assert.Equal(Spec((1, 100)).Route, rolledBack.Current.Spec.Route);

        var revisions = await _store.ListRevisionsAsync(name, 2, null, default);
        Assert.Equal([3L, 2L], revisions.Items.Select(r => r.Revision));
        var rest = await _store.ListRevisionsAsync(name, 2, revisions.NextPageToken, default);
        Assert.Equal([1L], rest.Items.Select(r => r.Revision));
        Assert.Null(rest.NextPageToken);
        Assert.Equal(["alice", "bob", "carol"], revisions.Items.Concat(rest.Items).Select(r => r.CreatedBy).Reverse());
    }

    [Fact]
    public async Task A_stale_revision_is_a_conflict_and_changes_nothing()
    {
        var name = NewName();
        await _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite(null, 1), default);
        await _store.UpdateAsync(name, 1, Spec((2, 100)), null, new DeploymentWrite(null, 2), default);
        var e = await Assert.ThrowsAsync<MlflowException>(() => _store.UpdateAsync(name, 1, Spec((3, 100)), null, new DeploymentWrite(null, 3), default));
        Assert.Equal(ErrorCode.RESOURCE_CONFLICT, e.Code);
        Assert.Contains("revision 2, not 1", e.Message, StringComparison.Ordinal);
        var current = await _store.GetAsync(name, default);
        Assert.Equal(2, current!.CurrentRevision);
        Assert.Equal(2, Assert.Single(current.Current.Spec.Route).Model.Version);
    }

    [Fact]
    public async Task Concurrent_updates_from_the_same_revision_let_exactly_one_win()
    {
        var name = NewName();
        await _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite(null, 1), default);
        var attempts = Enumerable.Range(2, 8).Select(v => Task.Run(async () =>
        {
            try
            {
                await _store.UpdateAsync(name, 1, Spec((v, 100)), null, new DeploymentWrite(null, v), default);
                return true;
            }
            catch (MlflowException e) when (e.Code == ErrorCode.RESOURCE_CONFLICT)
            {
                return false;
            }
        })).ToList();
        var results = await Task.WhenAll(attempts);
        Assert.Equal(1, results.Count(r => r));
        Assert.Equal(2, (await _store.GetAsync(name, default))!.CurrentRevision);
    }

    [Fact]
    public async Task Names_are_unique_deletes_take_the_revisions_and_pointers_list_every_deployment()
    {
        var name = NewName();
        await _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite(null, 1), default);
        var e = await Assert.ThrowsAsync<MlflowException>(() => _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite(null, 1), default));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, e.Code);
        Assert.Contains(await _store.ListPointersAsync(default), p => p.Name == name && p.CurrentRevision == 1);

        await _store.DeleteAsync(name, new DeploymentWrite(null, 2), default);
        Assert.Null(await _store.GetAsync(name, default));
        Assert.Null(await _store.GetRevisionAsync(name, 1, default));
        Assert.DoesNotContain(await _store.ListPointersAsync(default), p => p.Name == name);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST,
            (await Assert.ThrowsAsync<MlflowException>(() => _store.DeleteAsync(name, new DeploymentWrite(null, 3), default))).Code);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST,
            (await Assert.ThrowsAsync<MlflowException>(() => _store.UpdateAsync(name, 1, Spec((1, 100)), null, new DeploymentWrite(null, 3), default))).Code);

        // Recreated, it starts again at revision 1.
        Assert.Equal(1, (await _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite(null, 4), default)).CurrentRevision);
    }

    [Fact]
    public async Task Listing_pages_by_name()
    {
        var prefix = "list-" + Guid.NewGuid().ToString("N")[..6];
        foreach (var i in Enumerable.Range(0, 5))
        {
            await _store.CreateAsync($"{prefix}-{i}", Spec((1, 100)), new DeploymentWrite(null, i), default);
        }

        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await _store.ListAsync(2, token, null, default);
            seen.AddRange(page.Items.Select(d => d.Name));
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}"), seen.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Equal(seen.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Listing_with_a_read_scope_holds_only_readable_deployments_in_full_pages()
    {
        var prefix = "scope-" + Guid.NewGuid().ToString("N")[..6];
        var names = Enumerable.Range(0, 6).Select(i => $"{prefix}-{i}").ToList();
        foreach (var name in names)
        {
            await _store.CreateAsync(name, Spec((1, 100)), new DeploymentWrite(null, 1), default);
        }

        async Task<List<string>> ListAsync(Core.Auth.ReadScope scope)
        {
            var seen = new List<string>();
            string? token = null;
            do
            {
                var page = await _store.ListAsync(1, token, scope, default);
                seen.AddRange(page.Items.Select(d => d.Name));
                token = page.NextPageToken;
            }
            while (token is not null);

            return seen.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }

        // Only the listed ones (default NO_PERMISSIONS), and everything but the listed ones (default READ).
        Assert.Equal([names[1], names[4]], await ListAsync(new Core.Auth.ReadScope(false, [names[1], names[4]])));
        Assert.Equal([names[0], names[2], names[3], names[5]], await ListAsync(new Core.Auth.ReadScope(true, [names[1], names[4]])));
        Assert.Empty(await ListAsync(new Core.Auth.ReadScope(false, [])));
    }

    [Fact]
    public async Task Metrics_rows_are_replaced_per_replica_and_read_back_by_range()
    {
        var name = NewName();
        var sketch = new LatencySketch();
        sketch.Add(1_500, 3);
        ServiceMetricsRow Row(string replica, long bucket, long requests) =>
            new(name, "m", "1", false, MetricsResolution.Minute, bucket, replica, requests, 1, 4_500, 2_000, 10_000, sketch);

        await _metrics.UpsertAsync([Row("a", 60_000, 1), Row("b", 60_000, 5), Row("a", 120_000, 2)], default);
        // A later flush of replica a rewrites its own row with its running total.
        await _metrics.UpsertAsync([Row("a", 60_000, 3)], default);

        var rows = await _metrics.ReadAsync(name, MetricsResolution.Minute, 60_000, 120_000, default);
        Assert.Equal([("a", 3L), ("b", 5L)], rows.Select(r => (r.ReplicaId, r.Requests)).OrderBy(r => r.ReplicaId));
        Assert.All(rows, r => Assert.Equal(3, r.Latency.Count));
        Assert.Empty(await _metrics.ReadAsync(name, MetricsResolution.Hour, 0, 10_000_000, default));

        Assert.True(await _metrics.DeleteMinuteRowsBeforeAsync(120_000, default) >= 2);
        Assert.Equal([120_000L], (await _metrics.ReadAsync(name, MetricsResolution.Minute, 0, 1_000_000, default)).Select(r => r.BucketStartMs));
    }
}
