using System.Diagnostics;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteConcurrencyTests(SqliteDatabaseFixture fixture) : ConcurrencyTests<SqliteDatabaseFixture>(fixture);

public abstract class ConcurrencyTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    [Fact]
    public async Task Sixteen_parallel_writers_lose_nothing()
    {
        const int writers = 16;
        const int calls = 1000;
        const int metricsPerCall = 10;
        var exp = await CreateExperimentAsync();
        var runs = new List<string>();
        for (var i = 0; i < writers; i++)
        {
            runs.Add((await CreateRunAsync(exp)).Info.RunId);
        }

        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            int call;
            while ((call = Interlocked.Increment(ref next)) < calls)
            {
                // Writers share runs so the same run's latest_metrics rows are contended.
                var run = runs[call % writers];
                var metrics = Enumerable.Range(0, metricsPerCall)
                    .Select(j => new Metric("m" + j, call + (j / 10.0), 1_000 + call, call))
                    .ToList();
                await Store.LogBatchAsync(run, metrics, [new("p" + call, call.ToString(System.Globalization.CultureInfo.InvariantCulture))], [new("last", call.ToString(System.Globalization.CultureInfo.InvariantCulture))], Ct);
            }
        })));
        sw.Stop();
        Console.WriteLine($"[bench] {calls} log-batch calls x {metricsPerCall} metrics from {writers} writers: {sw.ElapsedMilliseconds} ms ({calls * metricsPerCall / sw.Elapsed.TotalSeconds:F0} points/s)");

        for (var r = 0; r < writers; r++)
        {
            var run = await Store.GetRunAsync(runs[r], Ct);
            var mine = Enumerable.Range(0, calls).Where(c => c % writers == r).ToList();
            Assert.Equal(mine.Select(c => "p" + c).Order(StringComparer.Ordinal), run!.Data.Params.Select(p => p.Key));
            var latestCall = mine.Max();
            Assert.Equal(metricsPerCall, run.Data.Metrics.Count);
            Assert.All(run.Data.Metrics, m => Assert.Equal(latestCall, m.Step));
            for (var j = 0; j < metricsPerCall; j++)
            {
                var history = (await Store.GetMetricHistoryAsync(runs[r], "m" + j, null, null, Ct)).Items;
                Assert.Equal(mine.Select(c => (double)c + (j / 10.0)), history.Select(m => m.Value));
            }
        }
    }
}
