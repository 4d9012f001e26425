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
var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
int[] connectionCounts = args.Length > 1 ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1, 16, 64];
var root = Directory.CreateTempSubdirectory("strata-bench-serving-").FullName;
var script = Path.Combine(AppContext.BaseDirectory, "post.lua");
const string Body = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[120.5, 3, 12.0]]}}""";
try
{
    Console.WriteLine("Training the models...");
    var models = await BenchModels.CreateAsync(root);

    await using var ceiling = await StartCeilingAsync();
    await using var plain = await StartServingAsync(root, "plain", models, batching: false);
    await using var batched = await StartServingAsync(root, "batched", models, batching: true);
    var targets = new (string Name, string Url)[]
    {
        ("ceiling (constant JSON)", Address(ceiling) + "/invocations"),
        ("mlnet, batching off", Address(plain) + "/serving/mlnet/invocations"),
        ("mlnet, batching on", Address(batched) + "/serving/mlnet/invocations"),
        ("onnx, batching off", Address(plain) + "/serving/onnx/invocations"),
        ("onnx, batching on", Address(batched) + "/serving/onnx/invocations"),
    };

    // Warm up every endpoint (JIT, pools, first SQLite writes).
    foreach (var (_, url) in targets)
    {
        await Wrk.RunAsync(url, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None);
    }

    Console.WriteLine($"{seconds} s per point, one-row dataframe_split bodies, prediction log on (SQLite), wrk on the same machine");
    Console.WriteLine();
    Console.WriteLine("| target | conns | req/s | % of ceiling | p50 ms | p99 ms | non-2xx |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    foreach (var connections in connectionCounts)
    {
        double? ceilingRps = null;
        foreach (var (name, url) in targets)
        {
            var result = await Wrk.RunAsync(url, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None);
            ceilingRps ??= result.RequestsPerSecond;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {connections} | {result.RequestsPerSecond:0} | {100 * result.RequestsPerSecond / ceilingRps:0}% | {result.P50Ms:0.00} | {result.P99Ms:0.00} | {result.Non2xx + result.SocketErrors} |"));
        }
    }

    Console.WriteLine();
    foreach (var (name, app) in new[] { ("batching off", plain), ("batching on", batched) })
    {
        var queue = (PredictionLogQueue)app.Services.GetService(typeof(PredictionLogQueue))!;
        var writer = (PredictionLogWriter)app.Services.GetService(typeof(PredictionLogWriter))!;
        Console.WriteLine($"prediction log ({name}): queued {queue.Enqueued}, written {writer.Written}, dropped {queue.Dropped}, failed {writer.Failed}");
    }
}
finally
{
    Directory.Delete(root, recursive: true);
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

static async Task<WebApplication> StartServingAsync(string root, string name, BenchModels models, bool batching)
{
    var app = await ServingHost.BuildAsync(
        new ServingHostOptions
        {
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(root, name + ".db"),
            Serving = new ServingOptions
            {
                Models = [new ServeModelSpec("mlnet", models.MlnetPath), new ServeModelSpec("onnx", models.OnnxPath)],
                CacheDirectory = Path.Combine(root, "cache"),
                Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(1) },
                PredictionLog = new PredictionLogOptions { SampleRate = 1.0 },
            },
        },
        builder => builder.Logging.ClearProviders());
    await app.StartAsync();
    return app;
}
