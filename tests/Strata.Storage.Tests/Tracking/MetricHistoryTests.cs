using System.Diagnostics;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteMetricHistoryTests(SqliteDatabaseFixture fixture) : MetricHistoryTests<SqliteDatabaseFixture>(fixture);

public abstract class MetricHistoryTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private async Task<string> RunWithHistoryAsync(int points, Func<int, Metric> point)
    {
        var exp = await CreateExperimentAsync();
        var id = (await CreateRunAsync(exp)).Info.RunId;
        for (var start = 0; start < points; start += 1000)
        {
            var batch = Enumerable.Range(start, Math.Min(1000, points - start)).Select(point).ToList();
            await Store.LogBatchAsync(id, batch, [], [], Ct);
        }

        return id;
    }

    [Fact]
    public async Task History_is_ordered_by_timestamp_step_value_and_pages_without_gaps()
    {
        // Timestamps repeat and go backwards so the order is decided by all three fields.
        var id = await RunWithHistoryAsync(103, i => new Metric("loss", i % 3 == 0 ? double.NaN : (i * 7) % 11, 1000 - i / 4, i % 5));
        var all = (await Store.GetMetricHistoryAsync(id, "loss", null, null, Ct)).Items;
        Assert.Equal(103, all.Count);
        var expected = all.OrderBy(m => m.Timestamp).ThenBy(m => m.Step).ThenBy(m => double.IsNaN(m.Value) ? 0 : m.Value).ToList();
        Assert.Equal(expected.Select(m => (m.Timestamp, m.Step)), all.Select(m => (m.Timestamp, m.Step)));
        Assert.Equal(all.Count, (await Store.GetMetricHistoryAsync(id, "loss", 0, null, Ct)).Items.Count);

        var walked = new List<Metric>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await Store.GetMetricHistoryAsync(id, "loss", 10, token, Ct);
            walked.AddRange(page.Items);
            token = page.NextPageToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(11, pages);
        Assert.Equal(all.Select(m => (m.Timestamp, m.Step, m.Value)), walked.Select(m => (m.Timestamp, m.Step, m.Value)));
        Assert.Null((await Store.GetMetricHistoryAsync(id, "loss", 103, null, Ct)).NextPageToken);

        var ex = await Assert.ThrowsAsync<MlflowException>(() => Store.GetMetricHistoryAsync(id, "loss", 10, "garbage", Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        var first = await Store.GetMetricHistoryAsync(id, "loss", 10, null, Ct);
        await Assert.ThrowsAsync<MlflowException>(() => Store.GetMetricHistoryAsync(id, "other", 10, first.NextPageToken, Ct));
    }

    [Fact]
    public async Task Bulk_interval_samples_steps_and_keeps_each_runs_ends()
    {
        var exp = await CreateExperimentAsync();
        var a = (await CreateRunAsync(exp)).Info.RunId;
        var b = (await CreateRunAsync(exp)).Info.RunId;
        await Store.LogBatchAsync(a, Enumerable.Range(0, 100).Select(s => new Metric("m", s, 1000 + s, s)).ToList(), [], [], Ct);
        await Store.LogBatchAsync(a, [new Metric("m", -1, 5000, 50)], [], [], Ct);    // a second point at step 50
        await Store.LogBatchAsync(b, Enumerable.Range(0, 37).Select(s => new Metric("m", s, 1000 + s, s * 2 + 1)).ToList(), [], [], Ct);

        var all = await Store.GetMetricHistoryBulkIntervalAsync([a, b], "m", null, null, 2500, Ct);
        Assert.Equal(100 + 1 + 37, all.Count);
        Assert.All(all, m => Assert.NotNull(m.RunId));
        Assert.Equal(a, all[0].RunId);
        Assert.Equal(2, all.Count(m => m.RunId == a && m.Step == 50));

        var sampled = await Store.GetMetricHistoryBulkIntervalAsync([a, b], "m", null, null, 10, Ct);
        var steps = sampled.Select(m => m.Step).Distinct().ToList();
        Assert.True(steps.Count <= 10 + 4, $"got {steps.Count} steps");
        Assert.Contains(0L, steps);
        Assert.Contains(99L, steps);
        Assert.Contains(sampled, m => m.RunId == b && m.Step == 1);
        Assert.Contains(sampled, m => m.RunId == b && m.Step == 73);
        // Every stored point at a chosen step comes back.
        foreach (var step in steps)
        {
            Assert.Equal(all.Count(m => m.Step == step), sampled.Count(m => m.Step == step));
        }

        var window = await Store.GetMetricHistoryBulkIntervalAsync([a, b], "m", 10, 20, 2500, Ct);
        Assert.All(window, m => Assert.InRange(m.Step, 10, 20));
        Assert.Equal(11 + 5, window.Count);
        Assert.Empty(await Store.GetMetricHistoryBulkIntervalAsync([a], "absent", null, null, 10, Ct));
    }

    [Fact]
    public async Task A_100k_point_history_reads_whole_and_in_order()
    {
        // Speed is measured in bench/ (and the plan test pins the access path); this checks the large read itself.
        var id = await RunWithHistoryAsync(100_000, i => new Metric("loss", i * 0.5, 1_700_000_000_000 + i, i));
        var page = await Store.GetMetricHistoryAsync(id, "loss", null, null, Ct);
        Assert.Equal(100_000, page.Items.Count);
        Assert.Null(page.NextPageToken);
        for (var i = 0; i < page.Items.Count; i++)
        {
            Assert.Equal(i, page.Items[i].Step);
        }

        var bulk = await Store.GetMetricHistoryBulkIntervalAsync([id], "loss", null, null, 2500, Ct);
        Assert.InRange(bulk.Count, 2000, 2502);
        Assert.Equal(0, bulk[0].Step);
        Assert.Equal(99_999, bulk[^1].Step);
    }

}
