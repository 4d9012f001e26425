using System.Data.Common;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Bench;

/// <summary>What <c>scale seed</c> leaves for <c>scale measure</c>: where the seeded data is and what search must return.</summary>
internal sealed record ScaleManifest(
    string ExperimentId, int Runs, long Points, List<string> ExpectedSearch, string History100, string History100k, string History1M,
    long History1MPoints, double? BytesPerPoint, long? DatabaseBytes, List<string>? ExpectedDefaultSearch = null);

/// <summary>
/// The scale bench. <c>seed</c> fills a store directly through <see cref="TrackingStore"/> (the same code the server
/// runs, without HTTP): an experiment of runs with 5 params and 5 metrics each (the search bench's shape), and
/// metric histories in runs of 10,000 to 1,000,000 points, plus runs of exactly 100, 100,000 and 1,000,000 points
/// for the read phases; then reports bytes per stored point. <c>measure</c> then drives a server on that store over
/// HTTP: search, history reads, and log-batch of 100 metrics a request.
/// </summary>
internal static class ScaleBench
{
    private const string SearchFilter = "metrics.m1 > 0.5 and params.p1 = 'x'";
    private const string SearchOrder = "metrics.m2 DESC";

    public const string Usage = """
        usage: Strata.Bench scale seed --store URI --manifest FILE [--runs N] [--points N] [--min-run-points N] [--max-run-points N] [--extend BASE_MANIFEST]
               Strata.Bench scale measure --url URL --manifest FILE [--search-queries N] [--history-reads N] [--log-batch-requests N] [--connections N] [--phases search,history,log-batch] [--tsv FILE]

               Strata.Bench scale write-probe --store URI [--requests N] [--connections N] [--batch N]
               Strata.Bench scale read-probe --store URI --manifest FILE [--history-reads N]

          --store URI            sqlite:////abs/path.db or postgresql://user@host:port/db (migrated if needed)
          --extend FILE          the store is a copy of the one FILE (a seed manifest) describes: add only --points more history points
          --runs N               runs seeded for search, 5 params and 5 metrics each (default 100000)
          --points N             metric points seeded in long histories besides the read targets' 1,100,100 (default 10000000)
          --min-run-points N     shortest seeded history (default 10000)
          --max-run-points N     longest seeded history (default 1000000)
          --search-queries N     search requests measured (default 200)
          --history-reads N      full reads of the 100,000- and 1,000,000-point histories (default 5; the 100-point one 20x that)
          --log-batch-requests N log-batch requests of 100 metrics (default 3000), over --connections (default 8)
          --server-pid PID       measure: also report the server process's CPU per operation (from /proc; load-independent, unlike latencies)
          --requests N           write-probe: log-batch requests straight into the store (default 20000) of --batch metrics (default 100)
        """;

    public static async Task<int> MainAsync(string[] args, CancellationToken ct)
    {
        if (args.Length == 0 || args[0] is not ("seed" or "measure" or "write-probe" or "read-probe"))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            values[args[i]] = args[i + 1];
        }

        long Long(string name, long fallback) =>
            values.TryGetValue(name, out var v) ? long.Parse(v.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : fallback;

        try
        {
            if (args[0] == "write-probe")
            {
                await WriteProbe.RunAsync(values.GetValueOrDefault("--store") ?? throw new BenchException("--store URI is required"),
                    (int)Long("--requests", 20_000), (int)Long("--connections", 8), (int)Long("--batch", 100), ct);
                return 0;
            }

            var manifestPath = values.GetValueOrDefault("--manifest") ?? throw new BenchException("--manifest FILE is required");
            if (args[0] == "read-probe")
            {
                await ReadProbe.RunAsync(values.GetValueOrDefault("--store") ?? throw new BenchException("--store URI is required"),
                    JsonSerializer.Deserialize<ScaleManifest>(await File.ReadAllTextAsync(manifestPath, ct))!, (int)Long("--history-reads", 3), ct);
                return 0;
            }

            if (args[0] == "seed")
            {
                var store = values.GetValueOrDefault("--store") ?? throw new BenchException("--store URI is required");
                var extend = values.GetValueOrDefault("--extend") is { } basePath
                    ? JsonSerializer.Deserialize<ScaleManifest>(await File.ReadAllTextAsync(basePath, ct))!
                    : null;
                var manifest = await SeedAsync(store, (int)Long("--runs", 100_000), Long("--points", 10_000_000),
                    (int)Long("--min-run-points", 10_000), (int)Long("--max-run-points", 1_000_000), extend, ct);
                await File.WriteAllTextAsync(manifestPath, JsonSerializer.Serialize(manifest), ct);
            }
            else
            {
                var url = values.GetValueOrDefault("--url") ?? throw new BenchException("--url URL is required");
                var manifest = JsonSerializer.Deserialize<ScaleManifest>(await File.ReadAllTextAsync(manifestPath, ct))!;
                var phases = (values.GetValueOrDefault("--phases") ?? "search,history,log-batch").Split(',').ToHashSet(StringComparer.Ordinal);
                var server = new ServerCpu(values.GetValueOrDefault("--server-pid") is { } pid ? int.Parse(pid, CultureInfo.InvariantCulture) : null);
                await MeasureAsync(new Uri(url.EndsWith('/') ? url : url + "/"), manifest, (int)Long("--search-queries", 200), (int)Long("--history-reads", 5),
                    (int)Long("--log-batch-requests", 3000), (int)Long("--connections", 8), values.GetValueOrDefault("--tsv"), phases, server, ct);
            }

            return 0;
        }
        catch (BenchException ex)
        {
            Console.Error.WriteLine($"scale bench failed: {ex.Message}");
            return 1;
        }
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");

    private static async Task<ScaleManifest> SeedAsync(string uri, int runs, long points, int minRunPoints, int maxRunPoints, ScaleManifest? extend, CancellationToken ct)
    {
        await using var database = await BackendStore.OpenAsync(uri, null, ct);
        var store = new TrackingStore(database);
        var baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var tag = $"{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        if (extend is not null)
        {
            // A copy of a seeded store: only the long histories are added; the read targets and runs stay the base's.
            var (_, added, extendedBytes, perPoint) = await SeedHistoriesAsync(database, store, [], points, minRunPoints, maxRunPoints, baseTime, tag, ct);
            await SettleAsync(database, ct);
            return extend with { Points = extend.Points + added, BytesPerPoint = perPoint, DatabaseBytes = extendedBytes };
        }

        var experiment = await store.CreateExperimentAsync(new NewExperiment($"scale-search-{tag}", null, "mlflow-artifacts:/", [], baseTime), ct);

        // Search runs go in a thousand per transaction, every table by multi-row INSERTs of 100 rows: a create-run and a
        // log-batch per run through the store took ~10 ms each on this loaded machine, and a statement per row (runs,
        // params, the metric writer per run) still ~2.4 ms per run at load 40-80 (40 min for a million).
        var seeded = new (string RunId, bool P1IsX, double M1, double M2)[runs];
        var experimentId = long.Parse(experiment, CultureInfo.InvariantCulture);
        var watch = Stopwatch.StartNew();
        for (var start = 0; start < runs; start += 1000)
        {
            var chunk = Enumerable.Range(start, Math.Min(1000, runs - start)).Select(i =>
            {
                var runId = Guid.NewGuid().ToString("N");
                var metrics = Enumerable.Range(1, 5).Select(k => new Metric($"m{k}", MetricBatches.Unit(((ulong)i << 8) | (uint)k), baseTime, 0)).ToList();
                seeded[i] = (runId, i % 2 == 0, metrics[0].Value, metrics[1].Value);
                return (Index: i, RunId: runId, Metrics: metrics);
            }).ToList();
            await database.WriteAsync(async (c, tx, t) =>
            {
                await InsertRowsAsync(c, tx, "runs", ["run_id", "experiment_id", "name", "user_id", "status", "start_time", "end_time", "lifecycle_stage", "artifact_uri"],
                    chunk.Select(r => new object?[]
                    {
                        r.RunId, experimentId, $"run-{r.Index}", "bench", "FINISHED", baseTime + r.Index, null, "active", $"mlflow-artifacts:/{experiment}/{r.RunId}/artifacts",
                    }), t);
                await InsertRowsAsync(c, tx, "params", ["run_id", "key", "value"],
                    chunk.SelectMany(r => Enumerable.Range(1, 5).Select(k => new object?[]
                    {
                        r.RunId, $"p{k}", k == 1 ? (r.Index % 2 == 0 ? "x" : "y") : $"value-{r.Index % (10 * k)}",
                    })), t);

                // Each metric as log-batch leaves a first point: one block of one point (the store's own codec) and
                // its latest_metrics row.
                await InsertRowsAsync(c, tx, "metric_blocks", ["run_id", "key", "min_step", "max_step", "min_timestamp", "max_timestamp", "point_count", "payload"],
                    chunk.SelectMany(r => r.Metrics.Select(m => new object?[]
                    {
                        r.RunId, m.Key, m.Step, m.Step, m.Timestamp, m.Timestamp, 1, MetricBlockCodec.Encode([new BlockPoint(m.Timestamp, m.Step, m.Value, null)]),
                    })), t);
                await InsertRowsAsync(c, tx, "latest_metrics", ["run_id", "key", "value", "timestamp", "step", "is_nan"],
                    chunk.SelectMany(r => r.Metrics.Select(m => new object?[] { r.RunId, m.Key, m.Value, m.Timestamp, m.Step, 0 })), t);
                return 0;
            }, ct);
            if ((start + 1000) % 50_000 == 0)
            {
                Progress($"{start + 1000:N0} runs seeded");
            }
        }

        Progress($"{runs:N0} search runs (5 params, 5 metrics) seeded in {watch.Elapsed.TotalSeconds:F1} s ({runs / watch.Elapsed.TotalSeconds:N0} runs/s)");
        var expected = seeded.Where(r => r.P1IsX && r.M1 > 0.5).OrderByDescending(r => r.M2).Take(100).Select(r => r.RunId).ToList();
        // Start times grow with the index: the default order (start_time DESC) is the highest indexes first.
        var expectedDefault = Enumerable.Range(0, runs).Reverse().Where(i => seeded[i].P1IsX && seeded[i].M1 > 0.5).Take(100).Select(i => seeded[i].RunId).ToList();

        var (historyRuns, historyPoints, databaseBytes, bytesPerPoint) =
            await SeedHistoriesAsync(database, store, [100, 100_000, 1_000_000], points, minRunPoints, maxRunPoints, baseTime, tag, ct);
        await SettleAsync(database, ct);
        return new ScaleManifest(experiment, runs, historyPoints, expected, historyRuns[0], historyRuns[1], historyRuns[2], 1_000_000, bytesPerPoint, databaseBytes, expectedDefault);
    }

    /// <summary>
    /// PostgreSQL: what autovacuum does on a live server some time after a bulk load (planner statistics, dead block
    /// versions reclaimed), done at once so the measurement that follows does not depend on when it would have run. A
    /// PostgreSQL store with 10 M more points measured straight after seeding searched at p50 86 ms against the base
    /// store's 21 ms; settled, 26 against 24 ms.
    /// </summary>
    private static Task SettleAsync(IDatabase database, CancellationToken ct) =>
        database.Dialect.Kind == SqlDialectKind.Postgres
            ? database.ReadAsync((c, t) => c.ExecuteAsync(new CommandDefinition("VACUUM ANALYZE", commandTimeout: 0, cancellationToken: t)), ct)
            : Task.CompletedTask;

    /// <summary>Inserts rows with multi-row statements of up to 100 rows (parameters bound by position).</summary>
    private static async Task InsertRowsAsync(DbConnection c, DbTransaction tx, string table, string[] columns, IEnumerable<object?[]> rows, CancellationToken ct)
    {
        const int perStatement = 100;
        var pending = new List<object?[]>(perStatement);
        foreach (var row in rows)
        {
            pending.Add(row);
            if (pending.Count == perStatement)
            {
                await FlushAsync();
            }
        }

        if (pending.Count > 0)
        {
            await FlushAsync();
        }

        async Task FlushAsync()
        {
            await using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            var sql = new System.Text.StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
            for (var r = 0; r < pending.Count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var k = 0; k < columns.Length; k++)
                {
                    var name = $"@p{r}_{k}";
                    sql.Append(k == 0 ? name : ", " + name);
                    var p = cmd.CreateParameter();
                    p.ParameterName = name;
                    p.Value = pending[r][k] ?? DBNull.Value;
                    cmd.Parameters.Add(p);
                }

                sql.Append(')');
            }

            cmd.CommandText = sql.ToString();
            await cmd.ExecuteNonQueryAsync(ct);
            pending.Clear();
        }
    }

    /// <summary>Histories of the given lengths (the read targets), then runs of random length up to the point budget.</summary>
    private static async Task<(string[] Runs, long Points, long DatabaseBytes, double? BytesPerPoint)> SeedHistoriesAsync(
        IDatabase database, TrackingStore store, long[] targets, long points, int minRunPoints, int maxRunPoints, long baseTime, string tag, CancellationToken ct)
    {
        var histories = await store.CreateExperimentAsync(new NewExperiment($"scale-history-{tag}", null, "mlflow-artifacts:/", [], baseTime), ct);
        var random = new Random(42);
        var lengths = new List<long>(targets);
        var remaining = points;
        while (remaining > 0)
        {
            var length = Math.Min(remaining, (long)Math.Exp(Math.Log(minRunPoints) + (random.NextDouble() * (Math.Log(maxRunPoints) - Math.Log(minRunPoints)))));
            lengths.Add(length);
            remaining -= length;
        }

        var historyRuns = new string[lengths.Count];
        for (var r = 0; r < lengths.Count; r++)
        {
            historyRuns[r] = Guid.NewGuid().ToString("N");
            await store.CreateRunAsync(new NewRun(historyRuns[r], histories, "bench", $"history-{r}", baseTime, []), ct);
        }

        var before = await StoredBytesAsync(database, ct);
        var watch = Stopwatch.StartNew();
        long logged = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, lengths.Count), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (r, c) =>
        {
            var batch = new List<Metric>(1000);
            for (long s = 0; s < lengths[r]; s += 1000)
            {
                batch.Clear();
                for (var j = s; j < Math.Min(lengths[r], s + 1000); j++)
                {
                    // Timestamps a few ms apart with jitter, as a training loop logs them.
                    batch.Add(new Metric("loss", MetricBatches.Unit(((ulong)r << 32) ^ (ulong)j), baseTime + (j * 7) + (j % 3), j));
                }

                await store.LogBatchAsync(historyRuns[r], batch, [], [], c);
                var total = Interlocked.Add(ref logged, batch.Count);
                if (total / 1_000_000 != (total - batch.Count) / 1_000_000)
                {
                    Progress($"{total:N0} history points logged ({total / watch.Elapsed.TotalSeconds:N0}/s)");
                }
            }
        });
        var historyPoints = lengths.Sum();
        Progress($"{historyPoints:N0} history points in {lengths.Count:N0} runs logged in {watch.Elapsed.TotalSeconds:F1} s ({historyPoints / watch.Elapsed.TotalSeconds:N0} points/s)");
        var after = await StoredBytesAsync(database, ct);
        // What the long histories added to the database (SQLite: its pages; PostgreSQL: the history table with its
        // index and TOAST), per point they added: the search runs' one-point histories are not in the figure.
        var added = after.Points - before.Points;
        double? bytesPerPoint = added <= 0 ? null
            : database.Dialect.Kind == SqlDialectKind.Sqlite ? (double)(after.Database - before.Database) / added
            : (double)(after.History!.Value - before.History!.Value) / added;
        Progress($"history storage: {bytesPerPoint:F2} bytes per point over {added:N0} points; database {after.Database:N0} bytes (before the histories {before.Database:N0})");
        return (historyRuns, historyPoints, after.Database, bytesPerPoint);
    }

    /// <summary>Bytes of the history table with index and TOAST (PostgreSQL only), the points it holds, and the database's bytes in use.</summary>
    private static Task<(long? History, long Points, long Database)> StoredBytesAsync(IDatabase database, CancellationToken ct) =>
        database.ReadAsync(async (c, t) =>
        {
            var points = await c.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT SUM(point_count) FROM metric_blocks", cancellationToken: t)) ?? 0;
            if (database.Dialect.Kind == SqlDialectKind.Postgres)
            {
                var history = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT pg_total_relation_size('metric_blocks')", cancellationToken: t));
                var whole = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT pg_database_size(current_database())", cancellationToken: t));
                return ((long?)history, points, whole);
            }

            // In-use pages (free pages excluded): the bundled SQLite has no dbstat table to split them per table.
            var pages = await c.ExecuteScalarAsync<long>(new CommandDefinition("PRAGMA page_count", cancellationToken: t));
            var free = await c.ExecuteScalarAsync<long>(new CommandDefinition("PRAGMA freelist_count", cancellationToken: t));
            var pageSize = await c.ExecuteScalarAsync<long>(new CommandDefinition("PRAGMA page_size", cancellationToken: t));
            return ((long?)null, points, (pages - free) * pageSize);
        }, ct);

    private static async Task MeasureAsync(
        Uri url, ScaleManifest manifest, int searchQueries, int historyReads, int logBatchRequests, int connections, string? tsvPath, HashSet<string> phases, ServerCpu server, CancellationToken ct)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false };
        using var http = new HttpClient(handler) { BaseAddress = url, Timeout = TimeSpan.FromMinutes(5) };
        var client = new TrackingClient(http);
        await client.CheckReachableAsync(ct);
        var results = new List<BenchResult>();
        var notes = new List<string>
        {
            $"store: {manifest.Runs:N0} search runs, {manifest.Points:N0} history points"
            + (manifest.BytesPerPoint is { } b ? $", {b:F2} bytes per stored point" : "")
            + (manifest.DatabaseBytes is { } d ? $", database {d / 1e6:N0} MB" : ""),
        };

        // Warm-up: JIT and connections on both sides.
        for (var i = 0; i < 5; i++)
        {
            using var _ = await client.SearchRunsAsync(manifest.ExperimentId, SearchFilter, SearchOrder, 100, ct);
        }

        if (phases.Contains("search"))
        {
            await MeasureSearchAsync(client, manifest, searchQueries, results, server, ct);
        }

        if (phases.Contains("history"))
        {
            await MeasureHistoryAsync(client, manifest, historyReads, results, server, ct);
        }

        if (phases.Contains("log-batch"))
        {
            await MeasureLogBatchAsync(client, manifest, logBatchRequests, connections, results, server, ct);
        }

        BenchResult.Print(Console.Out, new BenchOptions { Urls = [url], Connections = connections }, results, notes);
        if (tsvPath is not null)
        {
            await using var tsv = new StreamWriter(tsvPath);
            BenchResult.WriteTsv(tsv, results);
        }
    }

    private static async Task MeasureSearchAsync(TrackingClient client, ScaleManifest manifest, int searchQueries, List<BenchResult> results, ServerCpu server, CancellationToken ct)
    {
        var latencies = new Latencies();
        var cpu = server.Now();
        var elapsed = await Workers.RunAsync(1, searchQueries, async (i, _, c) =>
        {
            using var page = await client.SearchRunsAsync(manifest.ExperimentId, SearchFilter, SearchOrder, 100, c);
            if (i == 0)
            {
                var ids = page.RootElement.TryGetProperty("runs", out var runs)
                    ? runs.EnumerateArray().Select(r => r.GetProperty("info").GetProperty("run_id").GetString()).ToList()
                    : [];
                if (!ids.SequenceEqual(manifest.ExpectedSearch))
                {
                    throw new BenchException($"runs/search returned {ids.Count} runs, not the expected {manifest.ExpectedSearch.Count} in order");
                }
            }
        }, latencies, ct);
        results.Add(new BenchResult($"search-runs ({manifest.Runs:N0} runs)", $"{searchQueries} queries", elapsed, searchQueries / elapsed.TotalSeconds, "queries/s", latencies,
            "1 connection, 100 runs/page, first page checked" + server.PerOperation(cpu, searchQueries, "query")));
        if (manifest.ExpectedDefaultSearch is not { } expectedDefault)
        {
            return;
        }

        // The same filter in the default order (start_time DESC): the experiment's start-time index walked.
        var byStart = new Latencies();
        cpu = server.Now();
        var took = await Workers.RunAsync(1, searchQueries, async (i, _, c) =>
        {
            using var page = await client.SearchRunsAsync(manifest.ExperimentId, SearchFilter, "", 100, c);
            if (i == 0)
            {
                var ids = page.RootElement.TryGetProperty("runs", out var runs)
                    ? runs.EnumerateArray().Select(r => r.GetProperty("info").GetProperty("run_id").GetString()).ToList()
                    : [];
                if (!ids.SequenceEqual(expectedDefault))
                {
                    throw new BenchException($"runs/search (default order) returned {ids.Count} runs, not the expected {expectedDefault.Count} in order");
                }
            }
        }, byStart, ct);
        results.Add(new BenchResult($"search-runs default order ({manifest.Runs:N0} runs)", $"{searchQueries} queries", took, searchQueries / took.TotalSeconds, "queries/s", byStart,
            "1 connection, 100 runs/page, start_time DESC, first page checked" + server.PerOperation(cpu, searchQueries, "query")));
    }

    private static async Task MeasureHistoryAsync(TrackingClient client, ScaleManifest manifest, int historyReads, List<BenchResult> results, ServerCpu server, CancellationToken ct)
    {
        await client.GetHistoryLightAsync(manifest.History100, "loss", 25_000, ct);
        foreach (var (name, runId, expectedPoints, reads) in new[]
                 {
                     ("get-history (100 points)", manifest.History100, 100L, historyReads * 20),
                     ("get-history (100,000 points)", manifest.History100k, 100_000L, historyReads),
                     ($"get-history ({manifest.History1MPoints:N0} points)", manifest.History1M, manifest.History1MPoints, historyReads),
                 })
        {
            var history = new Latencies();
            var pages = 0;
            var cpu = server.Now();
            var took = await Workers.RunAsync(1, reads, async (_, _, c) =>
            {
                var read = await client.GetHistoryLightAsync(runId, "loss", 25_000, c);
                if (read.Points != expectedPoints)
                {
                    throw new BenchException($"{name}: {read.Points} points came back");
                }

                pages = read.Pages;
            }, history, ct);
            results.Add(new BenchResult(name, $"{reads} reads", took, expectedPoints * reads / took.TotalSeconds, "points/s", history,
                $"1 connection, {pages} page(s) of 25,000, body read but not parsed" + server.PerOperation(cpu, reads, "full read")));
        }
    }

    private static async Task MeasureLogBatchAsync(
        TrackingClient client, ScaleManifest manifest, int logBatchRequests, int connections, List<BenchResult> results, ServerCpu server, CancellationToken ct)
    {
        var runIds = new List<string>();
        for (var i = 0; i < connections * 2; i++)
        {
            runIds.Add(await client.CreateRunAsync(manifest.ExperimentId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), $"log-batch-{i}", ct));
        }

        var batches = new MetricBatches(100, runIds, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var logLatencies = new Latencies();
        var cpu = server.Now();
        var logTook = await Workers.RunAsync(connections, logBatchRequests, async (b, _, c) =>
        {
            var rows = new MetricPoint[100];
            batches.Fill(b, rows);
            await client.LogBatchAsync(batches.RunFor(b), rows, [], c);
        }, logLatencies, ct);
        results.Add(new BenchResult("log-batch (100/request)", $"{logBatchRequests * 100:N0} metrics", logTook, logBatchRequests * 100 / logTook.TotalSeconds, "metrics/s",
            logLatencies, $"{connections} connections, {logBatchRequests:N0} requests" + server.PerOperation(cpu, logBatchRequests, "request")));
    }
}

/// <summary>
/// The server process's CPU time from <c>/proc/PID/stat</c>: CPU per operation is what the server spent on it, which a
/// machine loaded by other work stretches far less than latency (a request waiting for a core costs no CPU).
/// </summary>
internal sealed class ServerCpu(int? pid)
{
    public TimeSpan? Now()
    {
        if (pid is null || !File.Exists($"/proc/{pid}/stat"))
        {
            return null;
        }

        // Fields after the command (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
    }

    public string PerOperation(TimeSpan? before, int operations, string unit) =>
        before is { } b && Now() is { } after && operations > 0
            ? $", server CPU {(after - b).TotalMilliseconds / operations:F2} ms per {unit}"
            : "";
}
