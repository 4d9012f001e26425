using System.Diagnostics;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Bench;

/// <summary>
/// <c>scale write-probe</c>: log-batch's storage half alone. The requests of the HTTP log-batch phase (100 metrics,
/// 10 keys x 10 steps, into 2 x connections runs) go straight to <see cref="TrackingStore.LogBatchAsync"/> from
/// <c>connections</c> concurrent callers, so the figure is what the store and its group-commit writer can take, and
/// the process CPU per point says what one point costs there. Compared with the HTTP phase in the same run, the
/// difference is the request path (Kestrel, JSON, validation).
/// </summary>
internal static class WriteProbe
{
    public static async Task RunAsync(string uri, int requests, int connections, int batchSize, CancellationToken ct)
    {
        await using var database = await BackendStore.OpenAsync(uri, null, ct);
        var store = new TrackingStore(database);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var experiment = await store.CreateExperimentAsync(new NewExperiment($"write-probe-{Guid.NewGuid():N}", null, "mlflow-artifacts:/", [], now), ct);
        var runIds = new List<string>();
        for (var i = 0; i < connections * 2; i++)
        {
            var id = Guid.NewGuid().ToString("N");
            await store.CreateRunAsync(new NewRun(id, experiment, "bench", $"probe-{i}", now, []), ct);
            runIds.Add(id);
        }

        var batches = new MetricBatches(batchSize, runIds, now);
        async Task Round(int count)
        {
            await Workers.RunAsync(connections, count, async (b, _, c) =>
            {
                var rows = new MetricPoint[batchSize];
                batches.Fill(b, rows);
                var metrics = new Metric[batchSize];
                for (var j = 0; j < rows.Length; j++)
                {
                    metrics[j] = new Metric(rows[j].Key, rows[j].Value, rows[j].Timestamp, rows[j].Step);
                }

                await store.LogBatchAsync(batches.RunFor(b), metrics, [], [], c);
            }, null, ct);
        }

        await Round(Math.Max(connections * 4, requests / 20)); // warm-up: JIT, prepared statements
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await Round(requests);
        watch.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpu0;
        var points = (double)requests * batchSize;
        Console.WriteLine(
            $"write-probe: {requests:N0} log-batch requests of {batchSize} over {connections} callers: {points / watch.Elapsed.TotalSeconds:N0} metrics/s, " +
            $"{watch.Elapsed.TotalMilliseconds * 1000 / requests:F1} us wall and {cpu.TotalMilliseconds * 1000 / requests:F1} us CPU per request " +
            $"({cpu.TotalMilliseconds * 1e6 / points:F0} ns CPU per point); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }
}

/// <summary>
/// <c>scale read-probe</c>: get-history's storage half alone. Reads the seeded 100,000- and 1,000,000-point histories
/// through <see cref="TrackingStore.ReadMetricHistoryAsync"/> in pages of 25,000 into a sink that only counts, and
/// reports process CPU per full read; the server adds the JSON writing and the socket on top.
/// </summary>
internal static class ReadProbe
{
    public static async Task RunAsync(string uri, ScaleManifest manifest, int reads, CancellationToken ct)
    {
        await using var database = await BackendStore.OpenAsync(uri, null, ct);
        var store = new TrackingStore(database);
        foreach (var (runId, points) in new[] { (manifest.History100k, 100_000L), (manifest.History1M, manifest.History1MPoints) })
        {
            var sink = new CountingSink();
            await ReadAllAsync(store, runId, sink, ct); // warm-up
            var process = Process.GetCurrentProcess();
            var cpu0 = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < reads; i++)
            {
                sink.Count = 0;
                await ReadAllAsync(store, runId, sink, ct);
                if (sink.Count != points)
                {
                    throw new BenchException($"read-probe: {sink.Count} points came back, not {points}");
                }
            }

            process.Refresh();
            var cpu = process.TotalProcessorTime - cpu0;
            Console.WriteLine($"read-probe: {points:N0} points in pages of 25,000: {watch.Elapsed.TotalMilliseconds / reads:F1} ms wall and {cpu.TotalMilliseconds / reads:F1} ms CPU per full read");
        }
    }

    private static async Task ReadAllAsync(TrackingStore store, string runId, CountingSink sink, CancellationToken ct)
    {
        string? token = null;
        do
        {
            token = await store.ReadMetricHistoryAsync(runId, "loss", 25_000, token, sink, ct);
        }
        while (token is not null);
    }

    private sealed class CountingSink : IMetricHistorySink
    {
        public long Count { get; set; }

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            Count++;
            return ValueTask.CompletedTask;
        }
    }
}
