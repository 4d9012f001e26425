using Strata.Core.Deployments;
using Strata.Serving.Batching;
using Strata.Serving.Deployments;
using Strata.Serving.Hosting;
using Strata.Serving.Tests.Serving;

namespace Strata.Serving.Tests.Deployments;

/// <summary>The routing decision in process: weights, sticky keys, and what a weight change moves.</summary>
[Collection(ServingCollection.Name)]
public sealed class TrafficSplitTests(ServingFixture fixture)
{
    private DeploymentSnapshot Snapshot(params (string Version, double Weight)[] legs)
    {
        // The fixture's runtime is shared and never disposed here: a snapshot only routes.
        var metrics = new ServingMetrics();
        var targets = legs.Select(l => (
            new ModelTarget("m", long.Parse(l.Version, System.Globalization.CultureInfo.InvariantCulture), null),
            new ServedModel("m", l.Version, "models:/m/" + l.Version, fixture.Direct[ServingFixture.Houses], new BatchingOptions(), metrics),
            l.Weight)).ToList();
        return new DeploymentSnapshot("d", 1, DeploymentSnapshot.Build(targets), null, null, TimeSpan.FromSeconds(1), null, "k");
    }

    /// <summary>Within 5 standard deviations of a binomial count: fails by chance about once in 3.5 million runs.</summary>
    private static void AssertShare(int count, int n, double p)
    {
        var sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(count, (n * p) - (5 * sd), (n * p) + (5 * sd));
    }

    [Fact]
    public void Ten_thousand_requests_split_by_the_weights()
    {
        var snapshot = Snapshot(("1", 70), ("2", 20), ("3", 10));
        var counts = Enumerable.Range(0, 10_000).Select(_ => snapshot.Choose(null).Model.Version).GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        AssertShare(counts["1"], 10_000, 0.7);
        AssertShare(counts["2"], 10_000, 0.2);
        AssertShare(counts["3"], 10_000, 0.1);
    }

    [Fact]
    public void A_sticky_key_always_lands_on_one_version_and_keys_split_by_the_weights()
    {
        var snapshot = Snapshot(("1", 90), ("2", 10));
        var keys = Enumerable.Range(0, 10_000).Select(i => $"customer-{i}").ToList();
        var first = keys.ToDictionary(k => k, k => snapshot.Choose(k).Model.Version);
        for (var round = 0; round < 3; round++)
        {
            Assert.All(keys, k => Assert.Equal(first[k], snapshot.Choose(k).Model.Version));
        }

        AssertShare(first.Values.Count(v => v == "2"), 10_000, 0.1);
        // The same key gives the same point in every process (no per-process hash seed).
        Assert.Equal(DeploymentSnapshot.UnitHash("customer-42"), DeploymentSnapshot.UnitHash("customer-42"));
        Assert.InRange(DeploymentSnapshot.UnitHash(""), 0, 1);
    }

    [Fact]
    public void Moving_weight_to_the_canary_moves_only_the_callers_it_must()
    {
        var before = Snapshot(("1", 90), ("2", 10));
        var after = Snapshot(("1", 80), ("2", 20));
        var keys = Enumerable.Range(0, 10_000).Select(i => $"user-{i}").ToList();
        var moved = keys.Where(k => before.Choose(k).Model.Version != after.Choose(k).Model.Version).ToList();
        // Nobody leaves the canary; about a tenth of all callers join it.
        Assert.All(moved, k => Assert.Equal("1", before.Choose(k).Model.Version));
        AssertShare(moved.Count, 10_000, 0.1);
    }

    [Fact]
    public void A_pinned_version_is_found_and_an_unknown_one_is_not()
    {
        var snapshot = Snapshot(("1", 50), ("2", 50));
        Assert.Equal("2", snapshot.Find("2")!.Model.Version);
        Assert.Null(snapshot.Find("9"));
    }
}
