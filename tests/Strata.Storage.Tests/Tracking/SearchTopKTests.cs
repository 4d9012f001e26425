using Strata.Core.Search;
using Strata.Core.Tracking;
using Strata.Storage.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteSearchTopKTests(SqliteDatabaseFixture fixture) : SearchTopKTests<SqliteDatabaseFixture>(fixture);

/// <summary>
/// The top-k form of run search (walk the order key's index, stop when the page is settled) returns exactly what the
/// full query returns, page by page, on randomized runs: ties, NaN, missing keys, deleted runs, other experiments
/// sharing the keys, filters of every kind, both directions; and page tokens stay exact while runs are added.
/// </summary>
public abstract class SearchTopKTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private TrackingStore Full => new(Fixture.Database) { DisableTopK = true };

    private static OrderTerm By(KeyKind kind, string key, bool ascending = true) => new(new SearchKey(kind, key), ascending);

    private static Comparison Where(KeyKind kind, string key, Comparator op, SearchValue value) => new(new SearchKey(kind, key), op, value);

    private static NumberValue Num(double v) => new(v, v.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private async Task<string> SeedAsync(int seed, int runs)
    {
        var random = new Random(seed);
        var exp = await CreateExperimentAsync();
        var other = await CreateExperimentAsync();
        for (var i = 0; i < runs; i++)
        {
            // Names and end times with ties too; some runs never end (no end_time).
            var name = random.Next(4) == 0 ? "tied-" + random.Next(3) : UniqueName("run");
            var run = (await CreateRunAsync(random.Next(5) == 0 ? other : exp, name, startTime: random.Next(40))).Info.RunId;
            if (random.Next(3) != 0)
            {
                await Store.UpdateRunAsync(run, RunStatus.FINISHED, 100 + random.Next(30), null, Ct);
            }

            var metrics = new List<Metric>();
            foreach (var key in new[] { "m1", "m2" })
            {
                if (random.Next(6) != 0)
                {
                    // Few distinct values so ties are common; NaN and infinities at times.
                    var value = random.Next(12) switch { 0 => double.NaN, 1 => double.PositiveInfinity, _ => random.Next(10) / 4.0 };
                    metrics.Add(new Metric(key, value, 1, 0));
                }
            }

            var parameters = new List<KeyValue>();
            if (random.Next(5) != 0)
            {
                parameters.Add(new KeyValue("p1", random.Next(3) switch { 0 => "x", 1 => "y", _ => "xz" }));
            }

            var tags = random.Next(3) == 0 ? new List<KeyValue> { new("t", "v" + random.Next(3)) } : [];
            await Store.LogBatchAsync(run, metrics, parameters, tags, Ct);
            if (random.Next(10) == 0)
            {
                await Store.DeleteRunAsync(run, 5, Ct);
            }
        }

        return exp;
    }

    private static async Task<List<string>> WalkAsync(TrackingStore store, RunQuery query)
    {
        var ids = new List<string>();
        string? token = null;
        do
        {
            var page = await store.SearchRunsAsync(query with { PageToken = token }, Ct);
            ids.AddRange(page.Items.Select(r => r.Info.RunId));
            token = page.NextPageToken;
        }
        while (token is not null);

        return ids;
    }

    [Fact]
    public async Task Top_k_pages_equal_the_full_query_on_random_runs()
    {
        var exp = await SeedAsync(11, 160);
        var n = 0;
        foreach (var (filter, orderBy) in Cases())
        {
            var before = Store.TopKPages;
            // Views alternate between cases to keep the test short; each case is walked in small pages and read whole.
            var view = n++ % 2 == 0 ? ViewType.ACTIVE_ONLY : ViewType.ALL;
            foreach (var pageSize in new[] { 7, 1000 })
            {
                var query = new RunQuery([exp], filter, orderBy, view, pageSize, null);
                var expected = await WalkAsync(Full, query);
                var actual = await WalkAsync(Store, query);
                Assert.True(expected.SequenceEqual(actual),
                    $"filter [{string.Join(", ", filter.Select(c => c.Key.Key + c.Comparator))}] order [{string.Join(", ", orderBy.Select(t => t.Key.Key + (t.Ascending ? " ASC" : " DESC")))}] {view} pages of {pageSize}: expected {expected.Count} runs, got {actual.Count}");
            }

            if (filter.Length == 0)
            {
                // Unfiltered pages of 7 are settled by the walk (ties at a window's end aside), whatever the order key.
                Assert.True(Store.TopKPages > before, $"order [{string.Join(", ", orderBy.Select(t => t.Key.Key))}]: no page came from the top-k form");
            }
        }
    }

    private static IEnumerable<(Comparison[] Filter, OrderTerm[] Order)> Cases()
    {
        Comparison[][] filters =
        [
            [],
            [Where(KeyKind.Metric, "m1", Comparator.Greater, Num(0.5))],
            [Where(KeyKind.Metric, "m1", Comparator.Greater, Num(0.5)), Where(KeyKind.Param, "p1", Comparator.Equal, new StringValue("x"))],
            [Where(KeyKind.Param, "p1", Comparator.Like, new StringValue("x%"))],
            [Where(KeyKind.Param, "p1", Comparator.NotEqual, new StringValue("y")), Where(KeyKind.Tag, "t", Comparator.ILike, new StringValue("V%"))],
            [Where(KeyKind.Metric, "m2", Comparator.LessOrEqual, Num(1)), Where(KeyKind.Attribute, "start_time", Comparator.Greater, Num(10))],
            [Where(KeyKind.Attribute, "status", Comparator.Equal, new StringValue("RUNNING"))],
        ];
        OrderTerm[][] orders =
        [
            [By(KeyKind.Metric, "m2", false)],
            [By(KeyKind.Metric, "m2")],
            [By(KeyKind.Metric, "m1", false), By(KeyKind.Param, "p1")],
            [By(KeyKind.Param, "p1", false)],
            [By(KeyKind.Tag, "t")],
            [],
            [By(KeyKind.Attribute, "start_time")],
            [By(KeyKind.Attribute, "start_time", false), By(KeyKind.Metric, "m1")],
            [By(KeyKind.Attribute, "run_name")],
            [By(KeyKind.Attribute, "run_name", false)],
            [By(KeyKind.Attribute, "end_time", false)],
            [By(KeyKind.Attribute, "end_time")],
        ];
        foreach (var f in filters)
        {
            foreach (var o in orders)
            {
                yield return (f, o);
            }
        }
    }

    public static TheoryData<string> TokenOrders => ["metric", "default", "run_name"];

    [Theory]
    [MemberData(nameof(TokenOrders))]
    public async Task Top_k_page_tokens_stay_exact_while_runs_are_added(string order)
    {
        var exp = await SeedAsync(12, 80);
        OrderTerm[] orderBy = order switch
        {
            "metric" => [By(KeyKind.Metric, "m2", false)],
            "default" => [],
            _ => [By(KeyKind.Attribute, "run_name")],
        };
        var query = new RunQuery([exp], [Where(KeyKind.Metric, "m1", Comparator.Greater, Num(0.5))], orderBy, ViewType.ACTIVE_ONLY, 5, null);
        var before = await WalkAsync(Full, query with { MaxResults = 1000 });

        var walked = new List<string>();
        string? token = null;
        var added = 0;
        do
        {
            var page = await Store.SearchRunsAsync(query with { PageToken = token }, Ct);
            walked.AddRange(page.Items.Select(r => r.Info.RunId));
            token = page.NextPageToken;

            // A new matching run that sorts first (behind the reader) and one that sorts last (ahead of it).
            foreach (var (value, start, name) in new[] { (1e9, 1_000_000L, "a-"), (-1e9, 0L, "z-") })
            {
                var run = (await CreateRunAsync(exp, UniqueName(name), startTime: start)).Info.RunId;
                await Store.LogBatchAsync(run, [new Metric("m1", 1, 1, 0), new Metric("m2", value, 1, 0)], [], [], Ct);
                added++;
            }
        }
        while (token is not null);

        Assert.True(added > 2);
        Assert.Equal(walked.Count, walked.Distinct().Count());
        // Every run that matched before the walk comes back, in the same relative order.
        Assert.Equal(before, walked.Where(before.Contains));
    }
}
