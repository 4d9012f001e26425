using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Strata.Bench.Serving;
using Strata.Server;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.PredictionLog;

// Serving throughput and latency: one-row /invocations at 1, 16 and 64 connections for an ML.NET and an ONNX model,
// batching off and on, prediction log on (SQLite), against a bare Kestrel endpoint returning constant JSON (the
// ceiling), all in one run. Usage: dotnet run -c Release --project bench/Strata.Bench.Serving [-- seconds-per-point]
// `python [seconds] [rounds] [workers]`: the python_function bench instead (PythonBench.cs).
// `code [seconds] [rounds] [connections]`: the code flavor against the ML.NET model it wraps (CodeFlavorBench.cs).
// With --auth first: log-batch and deployment /invocations with --auth on vs off (AuthBench.cs).
// With --serve-tokens first: strata models serve with bearer tokens and the network protections vs open (ServeTokensBench.cs).
// With --deployments first: the deployments bench (two-version route plus shadow vs one version; cost per 1,000).
if (args.Length > 0 && args[0] == "python")
{
    await PythonBench.RunAsync(args[1..]);
    return;
}

if (args.Length > 0 && args[0] == "code")
{
    await CodeFlavorBench.RunAsync(args[1..]);
    return;
}

var deployments = args.Length > 0 && args[0] == "--deployments";
var authMode = args.Length > 0 && args[0] == "--auth";
var serveTokens = args.Length > 0 && args[0] == "--serve-tokens";
if (deployments || authMode || serveTokens)
{
    args = args[1..];
}

var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
int[] connectionCounts = args.Length > 1 ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1, 16, 64];
// Rounds per point: the targets are interleaved round by round and the median round is reported, so a burst of
// load from elsewhere on the machine hits every target alike instead of one.
var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
var root = Directory.CreateTempSubdirectory("strata-bench-serving-").FullName;
var script = Path.Combine(AppContext.BaseDirectory, "post.lua");
const string Body = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[120.5, 3, 12.0]]}}""";
try
{
    if (authMode)
    {
        Console.WriteLine("Training the models...");
        await AuthBench.RunAsync(root, seconds, connectionCounts, rounds, script);
        return;
    }

    if (serveTokens)
    {
        Console.WriteLine("Training the models...");
        await ServeTokensBench.RunAsync(root, seconds, connectionCounts, rounds, script);
        return;
    }

    if (deployments)
    {
        Console.WriteLine("Training the models...");
        await DeploymentsBench.RunAsync(root, seconds, connectionCounts, rounds, script);
        return;
    }

    Console.WriteLine("Training the models...");
    var models = await BenchModels.CreateAsync(root);

    await using var ceiling = await StartCeilingAsync();
    await using var plain = await StartServingAsync(root, "plain", models, batching: false);
    await using var batched = await StartServingAsync(root, "batched", models, batching: true);
    await using var unlogged = await StartServingAsync(root, "unlogged", models, batching: false, predictionLog: false);
    var targets = new (string Name, string Url)[]
    {
        ("ceiling (constant JSON)", Address(ceiling) + "/invocations"),
        ("mlnet, batching off", Address(plain) + "/serving/mlnet/invocations"),
        ("mlnet, batching on", Address(batched) + "/serving/mlnet/invocations"),
        ("onnx, batching off", Address(plain) + "/serving/onnx/invocations"),
        ("onnx, batching on", Address(batched) + "/serving/onnx/invocations"),
        ("mlnet, batching off, log off", Address(unlogged) + "/serving/mlnet/invocations"),
        ("code (wraps mlnet), batching off", Address(plain) + "/serving/code/invocations"),
        ("code (wraps mlnet), batching on", Address(batched) + "/serving/code/invocations"),
    };
    // The code flavor against the model it wraps, same server and round: (code target, mlnet target).
    (int Code, int Mlnet)[] codeRatios = [(6, 1), (7, 2)];
    await LoadTimes.PrintAsync(models);

    // Warm up every endpoint (JIT, pools, first SQLite writes).
    foreach (var (_, url) in targets)
    {
        await Wrk.RunAsync(url, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None);
    }

    Console.WriteLine($"{seconds} s per point, median of {rounds} interleaved rounds, one-row dataframe_split bodies, prediction log on (SQLite) unless noted, wrk on the same machine");
    Console.WriteLine();
    var codeSummary = new List<string>();
    Console.WriteLine("| target | conns | req/s | % of ceiling | p50 ms | p99 ms | non-2xx |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    foreach (var connections in connectionCounts)
    {
        var results = targets.Select(_ => new List<WrkResult>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var t = 0; t < targets.Length; t++)
            {
                results[t].Add(await Wrk.RunAsync(targets[t].Url, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None));
            }
        }

        foreach (var (code, mlnet) in codeRatios)
        {
            // Per round (the two ran back to back), then the median: code-flavor throughput as a share of ML.NET's.
            var ratio = Median(results[code].Zip(results[mlnet]).Select(p => p.First.RequestsPerSecond / p.Second.RequestsPerSecond));
            codeSummary.Add(string.Create(CultureInfo.InvariantCulture, $"{targets[code].Name} / {targets[mlnet].Name}, {connections} conns: {ratio:0.00}"));
        }

        var ceilingRps = Median(results[0].Select(r => r.RequestsPerSecond));
        for (var t = 0; t < targets.Length; t++)
        {
            var rps = Median(results[t].Select(r => r.RequestsPerSecond));
            var failed = results[t].Sum(r => r.Non2xx + r.SocketErrors);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {targets[t].Name} | {connections} | {rps:0} | {100 * rps / ceilingRps:0}% | {Median(results[t].Select(r => r.P50Ms)):0.00} | {Median(results[t].Select(r => r.P99Ms)):0.00} | {failed} |"));
        }
    }

    Console.WriteLine();
    Console.WriteLine("code flavor throughput as a ratio of the ML.NET flavor it wraps (median of per-round ratios; target >= 0.9):");
    codeSummary.ForEach(Console.WriteLine);
    Console.WriteLine();
    foreach (var (name, app) in new[] { ("batching off", plain), ("batching on", batched) })
    {
        var queue = (PredictionLogQueue)app.Services.GetService(typeof(PredictionLogQueue))!;
        var writer = (PredictionLogWriter)app.Services.GetService(typeof(PredictionLogWriter))!;
        Console.WriteLine($"prediction log ({name}): queued {queue.Enqueued}, written {writer.Written} in {writer.Batches} batches, dropped {queue.Dropped}, failed {writer.Failed}");
    }
}
finally
{
    Directory.Delete(root, recursive: true);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted[sorted.Length / 2];
}

static string Address(WebApplication app) => app.ListeningAddresses().First();

static async Task<WebApplication> StartCeilingAsync()
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
    var app = builder.Build();
    var answer = """{"predictions": [356.2]}"""u8.ToArray();
    app.MapPost("/invocations", context =>
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = answer.Length;
        return context.Response.Body.WriteAsync(answer, context.RequestAborted).AsTask();
    });
    await app.StartAsync();
    return app;
}

static async Task<WebApplication> StartServingAsync(string root, string name, BenchModels models, bool batching, bool predictionLog = true)
{
    var app = await ServingHost.BuildAsync(
        new ServingHostOptions
        {
            Port = 0,
            BackendStoreUri = predictionLog ? "sqlite:///" + Path.Combine(root, name + ".db") : null,
            Serving = new ServingOptions
            {
                Models = [new ServeModelSpec("mlnet", models.MlnetPath), new ServeModelSpec("onnx", models.OnnxPath), new ServeModelSpec("code", models.CodePath)],
                CacheDirectory = Path.Combine(root, "cache"),
                Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(1) },
                PredictionLog = new PredictionLogOptions { SampleRate = 1.0 },
            },
        },
        // The product's logging (console, ServingHost's defaults), minus the start-up lines.
        builder => builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
    await app.StartAsync();
    return app;
}
