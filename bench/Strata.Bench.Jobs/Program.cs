using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;

// What running a command as a Strata job costs over spawning it directly: each execution queues a row, is claimed,
// creates a tracking run, streams stdout/stderr into the run's artifacts, ends the run and writes its final state
// with the job.finished event. Baseline: the same command spawned with the same redirections, in the same run.
//   dotnet run -c Release --project bench/Strata.Bench.Jobs -- [executions=100]
// In-process server (Kestrel on 127.0.0.1, temp SQLite), poll interval 20 ms so the queue's polling does not hide
// the work (the default 1 s poll adds up to 1 s of wait to an on-demand run's start).

var count = args.FirstOrDefault() is { } a ? int.Parse(a, CultureInfo.InvariantCulture) : 100;
var dir = Directory.CreateTempSubdirectory("strata-jobs-bench-");
var options = new StrataServerOptions
{
    Host = "127.0.0.1",
    Port = 0,
    BackendStoreUri = "sqlite:///" + Path.Combine(dir.FullName, "strata.db"),
    ArtifactsDestination = Path.Combine(dir.FullName, "artifacts"),
};
options.Jobs.PollInterval = TimeSpan.FromMilliseconds(20);
options.Jobs.HeartbeatInterval = TimeSpan.FromSeconds(1);
await using var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
await app.StartAsync();
using var http = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };
const string Jobs = "/api/2.0/strata/jobs";
string[] command = ["/bin/sh", "-c", "echo out; echo err >&2"];
Console.WriteLine($"{count} executions of `sh -c 'echo out; echo err >&2'`, {Environment.ProcessorCount} cores");

(await http.PostAsJsonAsync(Jobs, new { name = "bench", command = command[0], args = command[1..] })).EnsureSuccessStatusCode();

// Warm-up: JIT, connections, SQLite caches, the process launcher.
await SpawnAsync(command);
await RunAsync(http);

var baseline = new List<double>();
var sequential = new List<double>();
for (var i = 0; i < count; i++)
{
    // Interleaved, so a busy moment on the shared machine hits both.
    baseline.Add(await SpawnAsync(command));
    sequential.Add(await RunAsync(http));
}

// Throughput: all queued at once, run up to MaxConcurrentExecutions (4) at a time.
var wall = Stopwatch.StartNew();
var ids = new List<string>();
for (var i = 0; i < count; i++)
{
    ids.Add(await QueueAsync(http));
}

foreach (var id in ids)
{
    await WaitAsync(http, id);
}

wall.Stop();
var spawnWall = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, 4).Select(async w =>
{
    for (var i = w; i < count; i += 4)
    {
        await SpawnAsync(command);
    }
}));
spawnWall.Stop();

Console.WriteLine($"{"phase",-34} {"p50 ms",8} {"p99 ms",8}");
Print("spawn directly (baseline)", baseline);
Print("job execution, queue to finished", sequential);
Console.WriteLine($"overhead per execution: p50 {Pct(sequential, 0.5) - Pct(baseline, 0.5):0.0} ms ({Pct(sequential, 0.5) / Pct(baseline, 0.5):0.0}x the spawn)");
Console.WriteLine($"throughput, {count} queued at once: {count / wall.Elapsed.TotalSeconds:0.0} executions/s; direct spawns 4 at a time: {count / spawnWall.Elapsed.TotalSeconds:0.0}/s ({spawnWall.Elapsed.TotalSeconds / wall.Elapsed.TotalSeconds:P0})");
await app.StopAsync();
dir.Delete(recursive: true);

static void Print(string name, List<double> ms) => Console.WriteLine($"{name,-34} {Pct(ms, 0.5),8:0.0} {Pct(ms, 0.99),8:0.0}");

static double Pct(List<double> ms, double q)
{
    var sorted = ms.Order().ToList();
    return sorted[Math.Min(sorted.Count - 1, (int)(q * sorted.Count))];
}

static async Task<double> SpawnAsync(string[] command)
{
    var started = Stopwatch.GetTimestamp();
    var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
    foreach (var arg in command[1..])
    {
        info.ArgumentList.Add(arg);
    }

    using var p = Process.Start(info)!;
    p.StandardInput.Close();
    var stdout = p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
    var stderr = p.StandardError.BaseStream.CopyToAsync(Stream.Null);
    await p.WaitForExitAsync();
    await Task.WhenAll(stdout, stderr);
    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}

static async Task<string> QueueAsync(HttpClient http)
{
    using var response = await http.PostAsJsonAsync(Jobs + "/bench/run", new { });
    response.EnsureSuccessStatusCode();
    using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return doc.RootElement.GetProperty("execution").GetProperty("execution_id").GetString()!;
}

static async Task WaitAsync(HttpClient http, string id)
{
    while (true)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{Jobs}/executions/{id}"));
        var status = doc.RootElement.GetProperty("execution").GetProperty("status").GetString();
        if (status == "succeeded")
        {
            return;
        }

        if (status is not ("queued" or "running"))
        {
            throw new InvalidOperationException($"execution {id} ended {status}");
        }

        await Task.Delay(2);
    }
}

static async Task<double> RunAsync(HttpClient http)
{
    var started = Stopwatch.GetTimestamp();
    await WaitAsync(http, await QueueAsync(http));
    return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
