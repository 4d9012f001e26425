using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;

// Trace benchmark, end to end over HTTP against an in-process Strata server (SQLite, local artifacts):
//  1. ingest: 16 concurrent clients each doing what MLflow 3's exporter does per trace — StartTraceV3, then PUT
//     traces.json through the artifact proxy — until --traces traces exist in one experiment (traces/s);
//     baseline in the same run: runs/create + a same-size artifact PUT from 16 clients (runs/s).
//  2. search: SearchTracesV3 latencies (p50/p99) over that experiment: newest page, a tag filter, a time range,
//     a page 50 pages deep by keyset token.
// Usage: dotnet run -c Release --project bench/Strata.Bench.Traces [-- --traces 100000] [--clients 16] [--spans 5] [--no-upload] [--ingest-only] [--artifacts-fsync]
var traces = IntArg("--traces", 100_000);
var clients = IntArg("--clients", 16);
var spansPerTrace = IntArg("--spans", 5);
// Without the traces.json PUT: what the trace store alone sustains.
var upload = !args.Contains("--no-upload");
// Only the write phases (for before/after comparisons of ingest).
var ingestOnly = args.Contains("--ingest-only");
// Local artifact uploads fsynced before they are answered (the server's --artifacts-fsync: what that durability costs).
var fsync = args.Contains("--artifacts-fsync");
const int SearchIterations = 500;

var dir = Directory.CreateTempSubdirectory("strata-bench-traces-").FullName;
try
{
    var options = new StrataServerOptions
    {
        Host = "127.0.0.1",
        Port = 0,
        BackendStoreUri = "sqlite:///" + Path.Combine(dir, "strata.db"),
        ArtifactsDestination = Path.Combine(dir, "artifacts"),
        ArtifactsFsync = fsync,
    };
    // Only errors reach the console: a failed request then says why.
    await using var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Error));
    await app.StartAsync();
    var address = new Uri(app.ListeningAddresses().First());
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2 }) { BaseAddress = address };

    var experimentId = await CreateExperimentAsync("traces");


    var cpuPerItemUs = 0.0;
    var spanDocument = SpanDocument(spansPerTrace);
    Console.WriteLine($"server {address}; {traces} traces of {spansPerTrace} spans ({spanDocument.Length} bytes of span data) from {clients} clients");

    // Baseline: the tracking API's nearest equivalent (one row written, one artifact uploaded) at the same concurrency.
    var baselineExperiment = await CreateExperimentAsync("baseline");
    var baselineCount = Math.Min(traces, 10_000);
    var baseline = await RunConcurrentAsync(baselineCount, async i =>
    {
        var run = await PostAsync("/api/2.0/mlflow/runs/create", $"{{\"experiment_id\": \"{baselineExperiment}\", \"start_time\": {i}}}");
        var runId = run.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString();
        if (upload)
        {
            await PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{baselineExperiment}/{runId}/artifacts/spans.json", spanDocument);
        }
    });
    Console.WriteLine($"baseline runs/create + artifact PUT: {baselineCount / baseline.TotalSeconds,8:F0} runs/s   ({baselineCount} in {baseline.TotalSeconds:F1} s; CPU {cpuPerItemUs:F0} us/run)");

    var start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - traces;
    var ingest = await RunConcurrentAsync(traces, async i =>
    {
        var traceId = "tr-" + Guid.NewGuid().ToString("N");
        var info = (await PostAsync("/api/3.0/mlflow/traces", StartTrace(traceId, experimentId, start + i, i))).GetProperty("trace").GetProperty("trace_info");
        var location = info.GetProperty("tags").GetProperty("mlflow.artifactLocation").GetString()!;
        if (upload)
        {
            await PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{location["mlflow-artifacts:/".Length..]}/traces.json", spanDocument);
        }
    });
    Console.WriteLine($"ingest{(upload ? "" : " (no upload)")} StartTraceV3 + traces.json PUT:  {traces / ingest.TotalSeconds,8:F0} traces/s ({traces} in {ingest.TotalSeconds:F1} s; " +
                      $"{traces / ingest.TotalSeconds / (baselineCount / baseline.TotalSeconds):F2}x baseline; CPU {cpuPerItemUs:F0} us/trace)");

    // Tokens for a deep page: walk 50 pages once.
    string? deepToken = null;
    var deepPages = Math.Min(50, (traces / 100) - 1);
    for (var page = 0; page < deepPages; page++)
    {
        deepToken = (await PostAsync("/api/3.0/mlflow/traces/search", Search(experimentId, null, deepToken))).GetProperty("next_page_token").GetString();
    }

    var storeExperiment = await CreateExperimentAsync("store");
    // The store alone (no HTTP, no JSON) on the server's database: where the ceiling of the write path is.
    var store = new Strata.Storage.Traces.TraceStore(app.Services.GetRequiredService<Strata.Storage.Database.IDatabase>());
    var storeCount = Math.Min(traces, 5_000);
    var storeOnly = await RunConcurrentAsync(storeCount, i => store.StartTraceAsync(new Strata.Core.Traces.NewTrace(
        "tr-" + Guid.NewGuid().ToString("N"), storeExperiment, null, i, 5, Strata.Core.Traces.TraceState.OK, "{}", "\"a\"",
        [new("mlflow.user", "bench"), new("mlflow.sourceRun", "run-x")], [new("mlflow.traceName", "predict"), new("team", "t")], []), i, default));
    Console.WriteLine($"store only TraceStore.StartTraceAsync:   {storeCount / storeOnly.TotalSeconds,8:F0} traces/s ({storeCount} in {storeOnly.TotalSeconds:F1} s; CPU {cpuPerItemUs:F0} us/trace)");
    await store.DeleteTracesAsync(storeExperiment, long.MaxValue, null, [], default);
    if (ingestOnly)
    {
        return 0;
    }

    var random = new Random(42);
    await ReportAsync("newest 100 (no filter)", () => Search(experimentId, null, null));
    await ReportAsync("tags.team = '<one of 10>'", () => Search(experimentId, $"tags.team = 'team-{random.Next(10)}'", null));
    await ReportAsync("metadata.`mlflow.sourceRun` = '<one of 100>'", () => Search(experimentId, $"metadata.`mlflow.sourceRun` = 'run-{random.Next(100)}'", null));
    await ReportAsync("timestamp_ms range + status", () =>
    {
        var from = start + random.Next(traces);
        return Search(experimentId, $"attributes.timestamp_ms >= {from} AND attributes.timestamp_ms < {from + 1000} AND attributes.status = 'OK'", null);
    });
    await ReportAsync($"page {deepPages + 1} by keyset token", () => Search(experimentId, null, deepToken));
    await ReportAsync("order_by execution_time_ms DESC", () => Search(experimentId, null, null, "execution_time_ms DESC"));
    string? durationToken = null;
    for (var page = 0; page < deepPages; page++)
    {
        durationToken = (await PostAsync("/api/3.0/mlflow/traces/search", Search(experimentId, null, durationToken, "execution_time_ms DESC")))
            .GetProperty("next_page_token").GetString();
    }

    await ReportAsync($"order_by execution_time_ms DESC, page {deepPages + 1}", () => Search(experimentId, null, durationToken, "execution_time_ms DESC"));
    await ReportAsync("order_by execution_time_ms ASC", () => Search(experimentId, null, null, "execution_time_ms ASC"));
    await ReportAsync("order_by timestamp_ms ASC", () => Search(experimentId, null, null, "timestamp_ms ASC"));
    return 0;

    async Task ReportAsync(string name, Func<string> body)
    {
        var rows = (await PostAsync("/api/3.0/mlflow/traces/search", body())).TryGetProperty("traces", out var t) ? t.GetArrayLength() : 0;
        for (var i = 0; i < 20; i++)
        {
            await PostAsync("/api/3.0/mlflow/traces/search", body());
        }

        var samples = new double[SearchIterations];
        for (var i = 0; i < SearchIterations; i++)
        {
            var request = body();
            var t0 = Stopwatch.GetTimestamp();
            await PostAsync("/api/3.0/mlflow/traces/search", request);
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        Array.Sort(samples);
        Console.WriteLine($"search {name,-46} p50 {samples[SearchIterations / 2],7:F2} ms   p99 {samples[(int)(SearchIterations * 0.99)],7:F2} ms   ({rows} rows/page, n={SearchIterations})");
    }

    async Task<TimeSpan> RunConcurrentAsync(int count, Func<int, Task> work)
    {
        var next = -1;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await work(i);
            }
        })));
        var elapsed = clock.Elapsed;
        // CPU time of the whole process (server and clients) per item: steadier than rates on a shared machine.
        cpuPerItemUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds * 1000 / count;
        return elapsed;
    }

    async Task<string> CreateExperimentAsync(string prefix) =>
        (await PostAsync("/api/2.0/mlflow/experiments/create", $"{{\"name\": \"{prefix}-{Guid.NewGuid():N}\"}}")).GetProperty("experiment_id").GetString()!;

    async Task<JsonElement> PostAsync(string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text).RootElement.Clone();
    }

    async Task PutAsync(string path, byte[] body)
    {
        using var response = await http.PutAsync(path, new ByteArrayContent(body));
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }
}
finally
{
    try
    {
        Directory.Delete(dir, recursive: true);
    }
    catch (IOException)
    {
    }
}

static string StartTrace(string traceId, string experimentId, long timeMs, int i) =>
    "{\"trace\": {\"trace_info\": {\"trace_id\": \"" + traceId + "\", " +
    "\"trace_location\": {\"type\": \"MLFLOW_EXPERIMENT\", \"mlflow_experiment\": {\"experiment_id\": \"" + experimentId + "\"}}, " +
    "\"request_time\": \"" + DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) + "\", " +
    "\"execution_duration\": \"0." + (i % 1000).ToString("000", CultureInfo.InvariantCulture) + "s\", \"state\": \"OK\", " +
    "\"trace_metadata\": {\"mlflow.user\": \"bench\", \"mlflow.trace_schema.version\": \"3\", \"mlflow.sourceRun\": \"run-" + (i % 100).ToString(CultureInfo.InvariantCulture) + "\"}, " +
    "\"tags\": {\"mlflow.traceName\": \"predict\", \"team\": \"team-" + (i % 10).ToString(CultureInfo.InvariantCulture) + "\"}, " +
    "\"request_preview\": \"{\\\"question\\\": \\\"what is " + i.ToString(CultureInfo.InvariantCulture) + "?\\\"}\", \"response_preview\": \"\\\"an answer\\\"\"}}}";

static string Search(string experimentId, string? filter, string? token, string orderBy = "timestamp_ms DESC") =>
    JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["locations"] = new[] { new { type = "MLFLOW_EXPERIMENT", mlflow_experiment = new { experiment_id = experimentId } } },
        ["filter"] = filter,
        ["max_results"] = 100,
        ["order_by"] = new[] { orderBy },
        ["page_token"] = token,
    }.Where(p => p.Value is not null).ToDictionary());

static byte[] SpanDocument(int spans)
{
    var sb = new StringBuilder("{\"spans\": [");
    for (var i = 0; i < spans; i++)
    {
        var n = i.ToString("D2", CultureInfo.InvariantCulture);
        sb.Append(i == 0 ? "" : ", ").Append(
            "{\"trace_id\": \"AAAAAAAAAAAAAAAAAAAAAA==\", \"span_id\": \"AAAAAAAAAA" + n + "=\", \"parent_span_id\": null, \"name\": \"span-" + n + "\", " +
            "\"start_time_unix_nano\": 1735689600123000000, \"end_time_unix_nano\": 1735689601623000000, \"events\": [], " +
            "\"status\": {\"code\": \"STATUS_CODE_OK\", \"message\": \"\"}, \"attributes\": {\"mlflow.spanType\": \"\\\"LLM\\\"\", " +
            "\"mlflow.spanInputs\": \"{\\\"messages\\\": [{\\\"role\\\": \\\"user\\\", \\\"content\\\": \\\"what is the answer to the question?\\\"}]}\"}}");
    }

    return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
}

int IntArg(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
