using Strata.Core.Search;
using Strata.Core.Tracking;
using static Strata.Storage.Tests.Tracking.SearchTestSyntax;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteSearchOrderModelTests(SqliteDatabaseFixture fixture) : SearchOrderModelTests<SqliteDatabaseFixture>(fixture);

/// <summary>
/// Run ordering checked against an in-memory statement of the spec (§10.1): numbers, then NaN, then
/// missing for metrics; missing last for params and end_time; start_time DESC and run_id ASC appended.
/// Every ordering is also walked in small pages, which exercises the keyset predicate on each component.
/// </summary>
public abstract class SearchOrderModelTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private sealed record Model(string RunId, long StartTime, long? EndTime, double? Metric, string? Param);

    [Fact]
    public async Task Orderings_and_pages_match_the_spec_model()
    {
        var random = new Random(1234);
        var exp = await CreateExperimentAsync();
        var models = new List<Model>();
        for (var i = 0; i < 40; i++)
        {
            var run = await CreateRunAsync(exp, "r" + i, startTime: random.Next(0, 6));
            double? metric = random.Next(0, 6) switch
            {
                0 => null,
                1 => double.NaN,
                2 => double.NegativeInfinity,
                _ => random.Next(0, 5) - 2,
            };
            var param = random.Next(0, 4) == 0 ? null : ((char)('a' + random.Next(0, 4))).ToString();
            long? end = random.Next(0, 3) == 0 ? null : random.Next(0, 4);
            if (metric is { } m)
            {
                await LogMetricAsync(run.Info.RunId, "m", m);
            }

            if (param is not null)
            {
                await Store.LogBatchAsync(run.Info.RunId, [], [new("p", param)], [], Ct);
            }

            if (end is not null)
            {
                await Store.UpdateRunAsync(run.Info.RunId, RunStatus.FINISHED, end, null, Ct);
            }

            models.Add(new Model(run.Info.RunId, run.Info.StartTime, end, metric, param));
        }

        IReadOnlyList<OrderTerm>[] orders =
        [
            [],
            [By(KeyKind.Metric, "m")],
            [By(KeyKind.Metric, "m", false)],
            [By(KeyKind.Param, "p"), By(KeyKind.Metric, "m", false)],
            [By(KeyKind.Param, "p", false), By(KeyKind.Attribute, "end_time")],
            [By(KeyKind.Attribute, "end_time", false), By(KeyKind.Param, "p")],
            [By(KeyKind.Attribute, "start_time"), By(KeyKind.Metric, "m")],
        ];
        foreach (var order in orders)
        {
            var expected = models.Order(Comparer<Model>.Create((a, b) => Compare(a, b, order))).Select(m => m.RunId).ToList();
            var all = await Store.SearchRunsAsync(new RunQuery([exp], [], order, ViewType.ACTIVE_ONLY, 1000, null), Ct);
            Assert.Equal(expected, all.Items.Select(r => r.Info.RunId));

            var walked = new List<string>();
            string? token = null;
            do
            {
                var page = await Store.SearchRunsAsync(new RunQuery([exp], [], order, ViewType.ACTIVE_ONLY, 7, token), Ct);
                walked.AddRange(page.Items.Select(r => r.Info.RunId));
                token = page.NextPageToken;
            }
            while (token is not null);

            Assert.Equal(expected, walked);
        }
    }

    private static int Compare(Model a, Model b, IReadOnlyList<OrderTerm> order)
    {
        foreach (var term in order)
        {
            var c = term.Key.Kind switch
            {
                KeyKind.Metric => CompareMetric(a.Metric, b.Metric, term.Ascending),
                KeyKind.Param => MissingLast(a.Param, b.Param, (x, y) => string.CompareOrdinal(x, y), term.Ascending),
                _ when term.Key.Key == "end_time" => MissingLast(a.EndTime, b.EndTime, (x, y) => x!.Value.CompareTo(y!.Value), term.Ascending),
                _ => Directed(a.StartTime.CompareTo(b.StartTime), term.Ascending),
            };
            if (c != 0)
            {
                return c;
            }
        }

        if (!order.Any(o => o.Key.Key == "start_time"))
        {
            var c = b.StartTime.CompareTo(a.StartTime);
            if (c != 0)
            {
                return c;
            }
        }

        return string.CompareOrdinal(a.RunId, b.RunId);
    }

    private static int Directed(int comparison, bool ascending) => ascending ? comparison : -comparison;

    private static int MissingLast<T>(T? a, T? b, Func<T, T, int> compare, bool ascending)
    {
        if (a is null || b is null)
        {
            return (a is null).CompareTo(b is null);
        }

        return Directed(compare(a, b), ascending);
    }

    private static int CompareMetric(double? a, double? b, bool ascending)
    {
        static int Rank(double? v) => v is null ? 2 : double.IsNaN(v.Value) ? 1 : 0;
        var rank = Rank(a).CompareTo(Rank(b));
        if (rank != 0 || Rank(a) != 0)
        {
            return rank;
        }

        return Directed(a!.Value.CompareTo(b!.Value), ascending);
    }
}
