using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteMetricHistoryCorpusTests(SqliteDatabaseFixture fixture) : MetricHistoryCorpusTests<SqliteDatabaseFixture>(fixture);

/// <summary>
/// Randomized logs (duplicates, equal steps at different timestamps, NaN and ±Infinity, steps out of order,
/// batches that split and refill blocks, single points, deleted runs) read back through every history call and
/// compared with <see cref="MetricHistoryReference"/>.
/// </summary>
public abstract class MetricHistoryCorpusTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private static readonly double[] Specials = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0d, -1.5, 1e308];

    private async Task<(MetricHistoryReference Reference, List<string> Runs)> LogCorpusAsync(int seed)
    {
        var random = new Random(seed);
        var exp = await CreateExperimentAsync();
        var reference = new MetricHistoryReference();
        var runs = new List<string>();
        for (var r = 0; r < 4; r++)
        {
            runs.Add((await CreateRunAsync(exp)).Info.RunId);
        }

        var logged = new List<Metric>();
        for (var batch = 0; batch < 40; batch++)
        {
            var run = runs[random.Next(runs.Count)];
            // Mostly small batches, sometimes one point, sometimes more than a block.
            var size = random.Next(10) switch { 0 => 1, 1 => random.Next(500, 1300), _ => random.Next(2, 60) };
            var points = new List<Metric>(size);
            for (var i = 0; i < size; i++)
            {
                var key = random.Next(3) switch { 0 => "loss", 1 => "acc", _ => "lr" };
                Metric m;
                if (logged.Count > 0 && random.Next(8) == 0)
                {
                    // An exact duplicate of an earlier point (maybe of another run or key), sometimes with other
                    // optional fields: the first one logged must win.
                    var earlier = logged[random.Next(logged.Count)];
                    m = earlier with { ModelId = random.Next(2) == 0 ? earlier.ModelId : "m-dup" };
                }
                else
                {
                    var step = random.Next(4) == 0 ? random.Next(-5, 200) : (batch * 50) + i; // out of order at times
                    var timestamp = random.Next(5) == 0 ? 1_000 + random.Next(20) : 1_000 + (batch * 100) + (i / 3); // ties
                    var value = random.Next(6) == 0 ? Specials[random.Next(Specials.Length)] : Math.Round(random.NextDouble() * 10, random.Next(1, 4));
                    m = new Metric(key, value, timestamp, step, null,
                        random.Next(10) == 0 ? "model-" + random.Next(3) : null,
                        random.Next(15) == 0 ? "ds" : null,
                        random.Next(15) == 0 ? "digest" : null);
                }

                points.Add(m);
            }

            await Store.LogBatchAsync(run, points, [], [], Ct);
            reference.Log(run, points);
            logged.AddRange(points);
        }

        // A deleted run keeps its history readable, as before.
        await Store.DeleteRunAsync(runs[0], 5_000, Ct);
        return (reference, runs);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task History_reads_match_the_reference(int seed)
    {
        var (reference, runs) = await LogCorpusAsync(seed);
        foreach (var run in runs)
        {
            foreach (var key in new[] { "loss", "acc", "lr", "absent" })
            {
                var expected = reference.History(run, key);
                var whole = (await Store.GetMetricHistoryAsync(run, key, null, null, Ct)).Items;
                MetricHistoryReference.AssertSame(expected, whole, $"{run}/{key} whole");

                foreach (var pageSize in new[] { 1, 7, 100, 512, 5000 })
                {
                    var walked = new List<Metric>();
                    string? token = null;
                    var pages = 0;
                    do
                    {
                        var page = await Store.GetMetricHistoryAsync(run, key, pageSize, token, Ct);
                        Assert.True(page.Items.Count <= pageSize);
                        walked.AddRange(page.Items);
                        token = page.NextPageToken;
                        pages++;
                        Assert.True(pages <= expected.Count + 1, "paging does not end");
                    }
                    while (token is not null);

                    MetricHistoryReference.AssertSame(expected, walked, $"{run}/{key} pages of {pageSize}");
                    // As before: a token only when a point follows, so a last full page ends the walk.
                    Assert.Equal(expected.Count == 0 ? 1 : (expected.Count + pageSize - 1) / pageSize, pages);
                }
            }
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Bulk_interval_reads_match_the_reference(int seed)
    {
        var (reference, runs) = await LogCorpusAsync(seed);
        foreach (var key in new[] { "loss", "acc" })
        {
            foreach (var (start, end, max) in new (long?, long?, int)[] { (null, null, 2500), (null, null, 10), (0, 120, 2500), (5, 60, 7), (300, 200, 100) })
            {
                var expected = reference.BulkInterval(runs, key, start, end, max);
                var actual = await Store.GetMetricHistoryBulkIntervalAsync(runs, key, start, end, max, Ct);
                MetricHistoryReference.AssertSame(expected, actual, $"bulk {key} [{start}, {end}] max {max}");
            }
        }
    }

    [Fact]
    public async Task History_pages_stay_exact_while_points_are_appended()
    {
        var exp = await CreateExperimentAsync();
        var run = (await CreateRunAsync(exp)).Info.RunId;
        var initial = Enumerable.Range(0, 3000).Select(i => new Metric("m", i * 0.5, 10_000 + i, i)).ToList();
        await Store.LogBatchAsync(run, initial, [], [], Ct);

        // A writer appends points later than, equal to and earlier than the reader's position while it pages.
        using var stop = new CancellationTokenSource();
        var appended = 0;
        var writer = Task.Run(async () =>
        {
            // Bounded: an unbounded writer appending ahead of the reader could outrun a reader that reads 50 a page.
            var i = 0;
            while (!stop.IsCancellationRequested && i < 1000)
            {
                i++;
                await Store.LogBatchAsync(run, [new Metric("m", -i, 10_000 + (i * 37 % 5000), 100_000 + i), new Metric("m", 1, 20_000 + i, i)], [], [], Ct);
                appended = i;
            }
        });

        var walked = new List<Metric>();
        var late = new List<Metric>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Store.GetMetricHistoryAsync(run, "m", 50, token, Ct);
            walked.AddRange(page.Items);
            token = page.NextPageToken;

            // Between pages: one point before everything (behind the cursor: never returned by this walk) and one
            // after everything (ahead of it: must be returned).
            var ahead = new Metric("m", pages, 90_000 + pages, pages);
            await Store.LogBatchAsync(run, [new Metric("m", pages, 1 + pages, pages), ahead], [], [], Ct);
            late.Add(ahead);
            pages++;
        }
        while (token is not null);

        stop.Cancel();
        await writer;
        Assert.DoesNotContain(walked, m => m.Timestamp < 10_000);
        Assert.All(late.SkipLast(1), m => Assert.Contains(walked, w => w.Timestamp == m.Timestamp && w.Step == m.Step));
        _ = appended;

        // Strictly increasing history keys: nothing repeated, nothing out of order, whatever was appended meanwhile.
        for (var i = 1; i < walked.Count; i++)
        {
            var a = walked[i - 1];
            var b = walked[i];
            Assert.True((a.Timestamp, a.Step, a.Value).CompareTo((b.Timestamp, b.Step, b.Value)) < 0, $"point {i} {b} does not follow {a}");
        }

        // Every point present before the walk began came back.
        var seen = walked.Select(m => (m.Timestamp, m.Step, m.Value)).ToHashSet();
        Assert.All(initial, m => Assert.Contains((m.Timestamp, m.Step, m.Value), seen));
    }
}
