using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Strata.Client;
using Strata.Core.Tracking;
using Strata.Server;
using Strata.Server.Hosting;

// Fluent-API metric logging throughput against an in-process server (Kestrel on 127.0.0.1 over a temp SQLite
// database), compared with raw log-batch calls of 1000 metrics measured in the same process and run.
//   dotnet run -c Release --project bench/Strata.Bench.Client -- [points=1000000] [--uri http://host:port]
// With --uri the bench targets an already running server instead.

var points = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is { } p
    ? int.Parse(p, CultureInfo.InvariantCulture) : 1_000_000;
var uriArg = args.SkipWhile(a => a != "--uri").Skip(1).FirstOrDefault();

var dir = Directory.CreateTempSubdirectory("strata-client-bench-");
Microsoft.AspNetCore.Builder.WebApplication? app = null;
Uri uri;
if (uriArg is null)
{
    app = await StrataServer.BuildAsync(
        new StrataServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(dir.FullName, "strata.db"),
            ArtifactsDestination = Path.Combine(dir.FullName, "artifacts"),
        },
        configure: b => b.Logging.ClearProviders());
    await app.StartAsync();
    uri = new Uri(app.ListeningAddresses().First());
}
else
{
    uri = new Uri(uriArg);
}

try
{
    using var client = StrataClient.Create(new StrataClientOptions { TrackingUri = uri });
    var experiment = await client.GetOrCreateExperimentAsync("client-bench-" + Guid.NewGuid().ToString("N")[..8]);
    const int keys = 10;
    Console.WriteLine($"server {uri}, {points:N0} points, {keys} keys, {Environment.ProcessorCount} cores");

    // Warm-up: JIT, connection pool, SQLite caches.
    await RawAsync(client, uri, experiment, 20_000, senders: 1);
    await FluentAsync(client, experiment, 20_000, keys);

    // Interleaved rounds, best of each: the machine is shared, so one slow phase should not decide the ratio.
    const int rounds = 2;
    var raw1 = TimeSpan.MaxValue;
    var raw2 = TimeSpan.MaxValue;
    (TimeSpan Total, TimeSpan Producer, TimeSpan MaxCall) fluent = (TimeSpan.MaxValue, default, default);
    for (var round = 1; round <= rounds; round++)
    {
        var r1 = await RawAsync(client, uri, experiment, points, senders: 1);
        var r2 = await RawAsync(client, uri, experiment, points, senders: 2);
        var f = await FluentAsync(client, experiment, points, keys);
        Console.WriteLine($"round {round}: raw x1 {r1.TotalMilliseconds:F0} ms, raw x2 {r2.TotalMilliseconds:F0} ms, fluent {f.Total.TotalMilliseconds:F0} ms");
        raw1 = r1 < raw1 ? r1 : raw1;
        raw2 = r2 < raw2 ? r2 : raw2;
        fluent = f.Total < fluent.Total ? f : fluent;
    }

    Console.WriteLine($"best of {rounds}:");
    Console.WriteLine(Row("raw log-batch x1000, 1 caller", points, raw1));
    Console.WriteLine(Row("raw log-batch x1000, 2 callers", points, raw2));
    Console.WriteLine(Row("fluent LogMetric (end incl. flush)", points, fluent.Total));
    Console.WriteLine($"  fluent producer loop alone: {fluent.Producer.TotalMilliseconds:F0} ms " +
        $"({points / fluent.Producer.TotalSeconds:N0} calls/s), longest single LogMetric {fluent.MaxCall.TotalMilliseconds:F2} ms");
    // The cost of one call while the buffer has room (fewer points than its 100,000 capacity).
    var roomy = await FluentAsync(client, experiment, 90_000, keys);
    Console.WriteLine($"  LogMetric with room in the buffer: {roomy.Producer.TotalMilliseconds * 1e6 / 90_000:F0} ns/call " +
        "(90,000 calls, run start excluded)");
    var bestRaw = raw1 < raw2 ? raw1 : raw2;
    Console.WriteLine($"  fluent throughput / best raw throughput = {bestRaw.TotalSeconds / fluent.Total.TotalSeconds:F2}");
}
finally
{
    if (app is not null)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
    dir.Delete(recursive: true);
}

static string Row(string name, int points, TimeSpan elapsed) =>
    $"{name,-38} {elapsed.TotalMilliseconds,9:F0} ms {points / elapsed.TotalSeconds,12:N0} points/s";

// The server's own log-batch throughput: bodies serialized before the clock starts, posted with a plain HttpClient
// (no retry handler, no per-point objects), so the figure is the server's and the wire's, not the SDK's.
static async Task<TimeSpan> RawAsync(StrataClient client, Uri uri, string experiment, int points, int senders)
{
    var run = await client.CreateRunAsync(experiment, "raw");
    var bodies = new List<byte[]>();
    for (var start = 0; start < points; start += 1000)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("run_id", run.Info.RunId);
            w.WriteStartArray("metrics");
            for (var i = start; i < Math.Min(points, start + 1000); i++)
            {
                w.WriteStartObject();
                w.WriteString("key", $"k{i % 10}");
                w.WriteNumber("value", i * 0.5);
                w.WriteNumber("timestamp", 1_700_000_000_000 + i);
                w.WriteNumber("step", i / 10);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        bodies.Add(buffer.WrittenSpan.ToArray());
    }
    using var http = new HttpClient { BaseAddress = uri };
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
    {
        int b;
        while ((b = Interlocked.Increment(ref next)) < bodies.Count)
        {
            using var content = new ByteArrayContent(bodies[b]);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("api/2.0/mlflow/runs/log-batch", content);
            response.EnsureSuccessStatusCode();
        }
    }));
    clock.Stop();
    await client.UpdateRunAsync(run.Info.RunId, RunStatus.FINISHED, 1);
    return clock.Elapsed;
}

static async Task<(TimeSpan Total, TimeSpan Producer, TimeSpan MaxCall)> FluentAsync(
    StrataClient client, string experiment, int points, int keys)
{
    var keyNames = Enumerable.Range(0, keys).Select(k => $"k{k}").ToArray();
    var run = await client.StartRunAsync(experimentId: experiment, runName: "fluent");
    var clock = Stopwatch.StartNew();
    var maxCall = 0L;
    for (var i = 0; i < points; i++)
    {
        var before = Stopwatch.GetTimestamp();
        run.LogMetric(keyNames[i % keys], i * 0.5, step: i / keys);
        var took = Stopwatch.GetTimestamp() - before;
        if (took > maxCall)
        {
            maxCall = took;
        }
    }
    var producer = clock.Elapsed;
    await run.EndAsync();
    clock.Stop();
    var stored = 0;
    foreach (var key in keyNames)
    {
        stored += await client.GetMetricHistoryAsync(run.RunId, key).CountAsync();
    }
    if (stored != points)
    {
        throw new InvalidOperationException($"fluent run stored {stored} of {points} points");
    }
    return (clock.Elapsed, producer, Stopwatch.GetElapsedTime(0, maxCall));
}
