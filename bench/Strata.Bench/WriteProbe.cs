using System.Diagnostics;
using System.IO.Pipelines;
using System.Text.Json;
using Strata.Core.Tracking;
using Strata.Server.Tracking;
using Strata.Server.Wire;
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
/// <c>scale read-probe</c>: get-history's server half without HTTP. Reads the seeded 100,000- and 1,000,000-point
/// histories in pages of 25,000 through the store (1) into a counting sink: the storage part alone; (2) through the
/// previous response writer (<see cref="Utf8JsonWriter"/> with <see cref="TrackingJson.WriteMetricPoint"/>) and (3)
/// through <see cref="MetricHistoryJsonWriter"/>, both into a pipe over <see cref="Stream.Null"/>. Process CPU per full
/// read after warm-up reads, so the JIT has settled; (2) against (3) in the same run is the JSON writer's saving.
/// </summary>
internal static class ReadProbe
{
    public static async Task RunAsync(string uri, ScaleManifest manifest, int reads, CancellationToken ct)
    {
        await using var database = await BackendStore.OpenAsync(uri, null, ct);
        var store = new TrackingStore(database);
        foreach (var (runId, points) in new[] { (manifest.History100k, 100_000L), (manifest.History1M, manifest.History1MPoints) })
        {
            var modes = new (string Name, Func<PipeWriter, ICountingSink> Sink)[]
            {
                ("store only (counting sink)", _ => new CountingSink()),
                ("store + Utf8JsonWriter (before)", pipe => new Utf8JsonWriterSink(pipe)),
                ("store + MetricHistoryJsonWriter (after)", pipe => new DirectSink(pipe)),
            };
            // Warm-up of every mode first, so tiered compilation has optimized all of them before any is timed.
            foreach (var (_, make) in modes)
            {
                for (var i = 0; i < (points > 100_000 ? 2 : 10); i++)
                {
                    await ReadAllAsync(store, runId, make, ct);
                }
            }

            foreach (var (name, make) in modes)
            {
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < reads; i++)
                {
                    var count = await ReadAllAsync(store, runId, make, ct);
                    if (count != points)
                    {
                        throw new BenchException($"read-probe: {count} points came back, not {points}");
                    }
                }

                process.Refresh();
                var cpu = process.TotalProcessorTime - cpu0;
                Console.WriteLine($"read-probe {name}: {points:N0} points in pages of 25,000: {watch.Elapsed.TotalMilliseconds / reads:F1} ms wall and {cpu.TotalMilliseconds / reads:F1} ms CPU per full read");
            }
        }
    }

    private static async Task<long> ReadAllAsync(TrackingStore store, string runId, Func<PipeWriter, ICountingSink> make, CancellationToken ct)
    {
        string? token = null;
        long count = 0;
        do
        {
            var pipe = PipeWriter.Create(Stream.Null);
            var sink = make(pipe);
            token = await store.ReadMetricHistoryAsync(runId, "loss", 25_000, token, sink, ct);
            await sink.EndAsync(token, ct);
            await pipe.CompleteAsync();
            count += sink.Count;
        }
        while (token is not null);
        return count;
    }

    private interface ICountingSink : IMetricHistorySink
    {
        long Count { get; }

        ValueTask EndAsync(string? token, CancellationToken ct);
    }

    private sealed class CountingSink : ICountingSink
    {
        public long Count { get; private set; }

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            Count++;
            return ValueTask.CompletedTask;
        }

        public ValueTask EndAsync(string? token, CancellationToken ct) => ValueTask.CompletedTask;
    }

    /// <summary>The response writer before this change: a Utf8JsonWriter over the pipe, flushed every 32 KB.</summary>
    private sealed class Utf8JsonWriterSink(PipeWriter pipe) : ICountingSink
    {
        private readonly Utf8JsonWriter _writer = new(pipe, WireResults.WriterOptions);
        private readonly JsonEncodedText _key = JsonEncodedText.Encode("loss", WireResults.WriterOptions.Encoder);
        private long _flushedAt;

        public long Count { get; private set; }

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            if (Count++ == 0)
            {
                _writer.WriteStartObject();
                _writer.WriteStartArray("metrics"u8);
            }

            TrackingJson.WriteMetricPoint(_writer, _key, point);
            return _writer.BytesCommitted + _writer.BytesPending - _flushedAt >= 32 * 1024 ? FlushAsync(ct) : ValueTask.CompletedTask;
        }

        public async ValueTask EndAsync(string? token, CancellationToken ct)
        {
            if (Count == 0)
            {
                _writer.WriteStartObject();
            }
            else
            {
                _writer.WriteEndArray();
            }

            TrackingJson.WriteNextPageToken(_writer, token);
            _writer.WriteEndObject();
            await _writer.DisposeAsync();
            await pipe.FlushAsync(ct);
        }

        private async ValueTask FlushAsync(CancellationToken ct)
        {
            _writer.Flush();
            _flushedAt = _writer.BytesCommitted;
            await pipe.FlushAsync(ct);
        }
    }

    /// <summary>The response writer after: <see cref="MetricHistoryJsonWriter"/>, flushed every 32 KB as the server does.</summary>
    private sealed class DirectSink(PipeWriter pipe) : ICountingSink
    {
        private readonly MetricHistoryJsonWriter _writer = new(pipe, "loss");

        public long Count => _writer.Count;

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            _writer.WritePoint(point);
            return _writer.Unflushed >= 32 * 1024 ? FlushAsync(ct) : ValueTask.CompletedTask;
        }

        public async ValueTask EndAsync(string? token, CancellationToken ct)
        {
            _writer.WriteEnd(token);
            await pipe.FlushAsync(ct);
        }

        private async ValueTask FlushAsync(CancellationToken ct)
        {
            _writer.Commit();
            _writer.MarkFlushed();
            await pipe.FlushAsync(ct);
        }
    }
}
