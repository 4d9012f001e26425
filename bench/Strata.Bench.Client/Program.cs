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
    await RawAsync(client, experiment, 20_000, senders: 1);
    await FluentAsync(client, experiment, 20_000, keys);

    var raw1 = await RawAsync(client, experiment, points, senders: 1);
    var raw2 = await RawAsync(client, experiment, points, senders: 2);
    var fluent = await FluentAsync(client, experiment, points, keys);

    Console.WriteLine(Row("raw log-batch x1000, 1 caller", points, raw1.Total));
    Console.WriteLine(Row("raw log-batch x1000, 2 callers", points, raw2.Total));
    Console.WriteLine(Row("fluent LogMetric (end incl. flush)", points, fluent.Total));
    Console.WriteLine($"  fluent producer loop alone: {fluent.Producer.TotalMilliseconds:F0} ms " +
        $"({points / fluent.Producer.TotalSeconds:N0} calls/s), max single LogMetric {fluent.MaxCall.TotalMilliseconds:F2} ms");
    var best = Math.Min(raw1.Total.TotalSeconds, raw2.Total.TotalSeconds);
    Console.WriteLine($"  fluent throughput / best raw throughput = {best / fluent.Total.TotalSeconds:F2}");
    Console.WriteLine($"  fluent throughput / raw 1-caller throughput = {raw1.Total.TotalSeconds / fluent.Total.TotalSeconds:F2}");
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

static async Task<(TimeSpan Total, int Unused)> RawAsync(StrataClient client, string experiment, int points, int senders)
{
    var run = await client.CreateRunAsync(experiment, "raw");
    var batches = Enumerable.Range(0, (points + 999) / 1000)
        .Select(b => (IReadOnlyCollection<Metric>)Enumerable.Range(b * 1000, Math.Min(1000, points - b * 1000))
            .Select(i => new Metric($"k{i % 10}", i * 0.5, 1_700_000_000_000 + i, i / 10)).ToList())
        .ToList();
    var next = -1;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, senders).Select(async _ =>
    {
        int b;
        while ((b = Interlocked.Increment(ref next)) < batches.Count)
        {
            await client.LogBatchAsync(run.Info.RunId, batches[b]);
        }
    }));
    clock.Stop();
    await client.UpdateRunAsync(run.Info.RunId, RunStatus.FINISHED, 1);
    return (clock.Elapsed, 0);
}

static async Task<(TimeSpan Total, TimeSpan Producer, TimeSpan MaxCall)> FluentAsync(
    StrataClient client, string experiment, int points, int keys)
{
    var keyNames = Enumerable.Range(0, keys).Select(k => $"k{k}").ToArray();
    var clock = Stopwatch.StartNew();
    var run = await client.StartRunAsync(experimentId: experiment, runName: "fluent");
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
