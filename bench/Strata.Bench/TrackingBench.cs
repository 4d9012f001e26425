using System.Diagnostics;
using System.Text.Json;

namespace Strata.Bench;

/// <summary>The phases of the tracking load test, run in order against one server; each adds a line to the table.</summary>
internal sealed class TrackingBench(BenchOptions options, ServerPool servers, TextWriter log)
{
    private const string SearchFilter = "metrics.m1 > 0.5 and params.p1 = 'x'";
    private const string SearchOrder = "metrics.m2 DESC";
    private const int SearchPageSize = 100;

    private readonly List<BenchResult> _results = [];
    private readonly List<string> _notes = [];
    private readonly long _baseTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly ServerCpu _serverCpu = new(options.ServerPid);

    public async Task<(IReadOnlyList<BenchResult> Results, IReadOnlyList<string> Notes)> RunAsync(CancellationToken ct)
    {
        if (options.CeilingOnly)
        {
            var runs = Enumerable.Range(0, options.Connections * 2).Select(_ => Guid.NewGuid().ToString("N")).ToList();
            Ceiling(new MetricBatches(options.BatchSize, runs, _baseTimestamp), logBatchRate: null);
            return (_results, _notes);
        }

        foreach (var server in servers.All)
        {
            await server.CheckReachableAsync(ct);
        }
        var tag = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        var experimentId = await servers.First.CreateExperimentAsync($"strata-bench-{tag}", ct);
        Progress($"experiment {experimentId} created");

        await WarmUpAsync(experimentId, ct);
        var runIds = await CreateRunsAsync(experimentId, ct);
        var batches = new MetricBatches(options.BatchSize, runIds.Take(Math.Max(1, options.Connections * 2)).ToList(), _baseTimestamp);
        var batchCount = Math.Max(1, options.BatchMetrics / options.BatchSize);
        var batchRate = await LogBatchAsync(batches, batchCount, ct);
        await LogMetricAsync(runIds, ct);
        await SearchRunsAsync(tag, ct);
        await GetHistoryAsync(experimentId, ct);
        if (!options.NoCeiling)
        {
            Ceiling(batches, batchRate);
        }
        return (_results, _notes);
    }

    /// <summary>A few calls of every kind first, so JIT and connection setup on both sides are not measured.</summary>
    private async Task WarmUpAsync(string experimentId, CancellationToken ct)
    {
        var runs = new string[options.Connections];
        await Workers.RunAsync(options.Connections, runs.Length, async (i, w, c) =>
            runs[i] = await servers.For(w).CreateRunAsync(experimentId, _baseTimestamp, $"warmup-{i}", c), null, ct);
        var points = new MetricPoint[options.BatchSize];
        await Workers.RunAsync(options.Connections, options.Connections * 4, async (i, w, c) =>
        {
            var batch = points.Select((_, j) => new MetricPoint("warmup", j, _baseTimestamp + j, (i * points.Length) + j)).ToArray();
            await servers.For(w).LogBatchAsync(runs[i % runs.Length], batch, [], c);
            await servers.For(w).LogMetricAsync(runs[i % runs.Length], new MetricPoint("warmup_single", i, _baseTimestamp, i), c);
            using var _ = await servers.For(w).SearchRunsAsync(experimentId, "metrics.warmup > 0.5 and params.p = 'x'", "metrics.warmup DESC", 10, c);
        }, null, ct);
        Progress("warm-up done");
    }

    private async Task<List<string>> CreateRunsAsync(string experimentId, CancellationToken ct)
    {
        var runIds = new string[options.CreateRuns];
        var latencies = new Latencies();
        var elapsed = await Workers.RunAsync(options.Connections, runIds.Length, async (i, w, c) =>
            runIds[i] = await servers.For(w).CreateRunAsync(experimentId, _baseTimestamp + i, null, c), latencies, ct);
        Add(new BenchResult("create-run", $"{runIds.Length:N0} runs", elapsed, runIds.Length / elapsed.TotalSeconds, "runs/s", latencies));
        return [.. runIds];
    }

    private async Task<double> LogBatchAsync(MetricBatches batches, int batchCount, CancellationToken ct)
    {
        var latencies = new Latencies();
        var cpu = _serverCpu.Now();
        var elapsed = await Workers.RunAsync(options.Connections, batchCount, async (b, w, c) =>
        {
            var rows = new MetricPoint[batches.BatchSize];
            batches.Fill(b, rows);
            await servers.For(w).LogBatchAsync(batches.RunFor(b), rows, [], c);
        }, latencies, ct);
        var metrics = (long)batchCount * batches.BatchSize;
        var rate = metrics / elapsed.TotalSeconds;
        Add(new BenchResult($"log-batch ({batches.BatchSize}/request)", $"{metrics:N0} metrics", elapsed, rate, "metrics/s", latencies,
            $"{batchCount:N0} requests, p50/p99 per request" + _serverCpu.PerOperation(cpu, batchCount, "request")));
        return rate;
    }

    private async Task LogMetricAsync(IReadOnlyList<string> runIds, CancellationToken ct)
    {
        var latencies = new Latencies();
        var elapsed = await Workers.RunAsync(options.Connections, options.SingleCalls, (i, w, c) =>
            servers.For(w).LogMetricAsync(runIds[i % runIds.Count], new MetricPoint("single", MetricBatches.Unit((ulong)i), _baseTimestamp + i, i), c),
            latencies, ct);
        Add(new BenchResult("log-metric", $"{options.SingleCalls:N0} calls", elapsed, options.SingleCalls / elapsed.TotalSeconds, "calls/s", latencies));
    }

    private async Task SearchRunsAsync(string tag, CancellationToken ct)
    {
        var experimentId = await servers.First.CreateExperimentAsync($"strata-bench-search-{tag}", ct);
        var seeded = new (string RunId, bool P1IsX, double M1, double M2)[options.SearchRuns];
        var seedTime = await Workers.RunAsync(options.Connections, seeded.Length, async (i, w, c) =>
        {
            var runId = await servers.For(w).CreateRunAsync(experimentId, _baseTimestamp + i, null, c);
            var metrics = Enumerable.Range(1, 5)
                .Select(k => new MetricPoint($"m{k}", MetricBatches.Unit(((ulong)i << 8) | (uint)k), _baseTimestamp, 0))
                .ToArray();
            var parameters = Enumerable.Range(1, 5)
                .Select(k => ($"p{k}", k == 1 ? (i % 2 == 0 ? "x" : "y") : $"value-{i % (10 * k)}"))
                .ToList();
            await servers.For(w).LogBatchAsync(runId, metrics, parameters, c);
            seeded[i] = (runId, i % 2 == 0, metrics[0].Value, metrics[1].Value);
        }, null, ct);
        _notes.Add($"search seed: {seeded.Length:N0} runs x (5 params + 5 metrics) in {seedTime.TotalSeconds:F1} s "
            + $"({BenchResult.Format(seeded.Length * 2 / seedTime.TotalSeconds)} requests/s, create-run + log-batch)");
        Progress($"search experiment {experimentId} seeded with {seeded.Length:N0} runs");

        var expected = seeded.Where(r => r.P1IsX && r.M1 > 0.5).OrderByDescending(r => r.M2).Take(SearchPageSize).Select(r => r.RunId).ToList();
        var latencies = new Latencies();
        var elapsed = await Workers.RunAsync(1, options.SearchQueries, async (i, _, c) =>
        {
            using var page = await servers.For(i).SearchRunsAsync(experimentId, SearchFilter, SearchOrder, SearchPageSize, c);
            // The first page each replica answers is checked: they share one database, so all must agree.
            if (i < servers.Count)
            {
                Verify(page, expected);
            }
        }, latencies, ct);
        Add(new BenchResult($"search-runs ({seeded.Length:N0} runs)", $"{options.SearchQueries:N0} queries", elapsed,
            options.SearchQueries / elapsed.TotalSeconds, "queries/s", latencies, $"1 connection, {expected.Count} runs/page, result checked" + (servers.Count > 1 ? $" on each of {servers.Count} servers" : "")));
    }

    private static void Verify(JsonDocument page, List<string> expected)
    {
        var actual = page.RootElement.TryGetProperty("runs", out var runs)
            ? runs.EnumerateArray().Select(r => r.GetProperty("info").GetProperty("run_id").GetString()).ToList()
            : [];
        if (!actual.SequenceEqual(expected))
        {
            var firstDifference = Enumerable.Range(0, Math.Min(actual.Count, expected.Count)).FirstOrDefault(k => actual[k] != expected[k], -1);
            throw new BenchException(
                $"runs/search '{SearchFilter}' order by {SearchOrder} returned {actual.Count} runs, expected {expected.Count}"
                + (firstDifference >= 0 ? $"; first difference at position {firstDifference}" : ""));
        }
    }

    private async Task GetHistoryAsync(string experimentId, CancellationToken ct)
    {
        var runId = await servers.First.CreateRunAsync(experimentId, _baseTimestamp, "history", ct);
        var steps = options.HistorySteps;
        var batchCount = (steps + options.BatchSize - 1) / options.BatchSize;
        await Workers.RunAsync(options.Connections, batchCount, async (b, w, c) =>
        {
            var first = b * options.BatchSize;
            var rows = Enumerable.Range(first, Math.Min(options.BatchSize, steps - first))
                .Select(s => new MetricPoint("loss", 1.0 / (s + 1), _baseTimestamp + s, s))
                .ToArray();
            await servers.For(w).LogBatchAsync(runId, rows, [], c);
        }, null, ct);
        Progress($"history of {steps:N0} points logged");

        // Unmeasured reads first: the server compiles its read path (and re-compiles it optimized) on the first ones,
        // which would otherwise land in the CPU and time figures of a short phase.
        for (var i = 0; i < 3; i++)
        {
            await servers.For(i).GetHistoryAsync(runId, "loss", options.HistoryPageSize, ct);
        }

        var latencies = new Latencies();
        var pages = 0;
        var serverLog = options.ServerLog is { } logPath ? new ServerLogTimings(logPath) : null;
        var cpu = _serverCpu.Now();
        var elapsed = await Workers.RunAsync(1, options.HistoryReads, async (i, _, c) =>
        {
            var read = await servers.For(i).GetHistoryAsync(runId, "loss", options.HistoryPageSize, c);
            if (read.Points != steps || !read.Ordered || read.LastStep != steps - 1)
            {
                throw new BenchException(
                    $"metrics/get-history returned {read.Points} points (last step {read.LastStep}, ordered: {read.Ordered}), expected {steps} in step order");
            }
            pages = read.Pages;
        }, latencies, ct);
        Add(new BenchResult($"get-history ({steps:N0} steps)", $"{options.HistoryReads} reads", elapsed,
            (double)steps * options.HistoryReads / elapsed.TotalSeconds, "points/s", latencies,
            $"1 connection, {pages} pages of max_results={options.HistoryPageSize}, per full read, client-measured"
            + _serverCpu.PerOperation(cpu, options.HistoryReads, "full read")));
        if (serverLog is not null)
        {
            // The server's own time per page (its Debug line: handler start to last byte flushed), summed over a read's pages.
            var perPage = await serverLog.ReadAsync(options.HistoryReads * pages, ct);
            var serverSide = new Latencies();
            for (var read = 0; read + pages <= perPage.Count; read += pages)
            {
                serverSide.Add((long)(perPage.Skip(read).Take(pages).Sum() * Stopwatch.Frequency / 1000));
            }
            Add(new BenchResult($"get-history server-side ({steps:N0} steps)", $"{serverSide.Count} reads", elapsed, null, "", serverSide,
                $"server's own time per full read ({pages} pages), from its log"));
        }
    }

    private void Ceiling(MetricBatches batches, double? logBatchRate)
    {
        var batchCount = Math.Max(1, (options.CeilingRows ?? options.BatchMetrics) / options.BatchSize);
        var temp = options.SqliteDirectory ?? Directory.CreateTempSubdirectory("strata-bench-").FullName;
        try
        {
            Directory.CreateDirectory(temp);
            Progress("SQLite ceiling running");
            var elapsed = SqliteCeiling.Run(temp, batches, batchCount);
            var rows = (long)batchCount * batches.BatchSize;
            var rate = rows / elapsed.TotalSeconds;
            Add(new BenchResult("sqlite ceiling (in-process)", $"{rows:N0} rows", elapsed, rate, "rows/s", null,
                $"prepared {SqliteCeiling.RowsPerStatement}-row INSERTs, {SqliteCeiling.BatchesPerTransaction * batches.BatchSize:N0} rows/transaction, WAL"));
            if (logBatchRate is { } served)
            {
                _notes.Add($"log-batch throughput / SQLite ceiling = {served / rate:P1}");
            }
        }
        finally
        {
            if (options.SqliteDirectory is null)
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private void Add(BenchResult result)
    {
        _results.Add(result);
        Progress($"{result.Phase}: {result.Operations} in {result.Elapsed.TotalSeconds:F2} s"
            + (result.Rate is { } r ? $", {BenchResult.Format(r)} {result.RateUnit}" : ""));
    }

    private void Progress(string message) => log.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
}
