using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;

namespace Strata.Bench.Serving;

/// <summary>
/// <c>code [seconds=2] [rounds=9] [connections=16,64]</c>: the code flavor (<c>HousePriceModel</c>, which validates,
/// calls the ML.NET model it carries and clamps the price) against that ML.NET model served on its own, same server,
/// same one-row body, prediction log off (its SQLite writes are noise here, not flavor cost). Each round runs the pair
/// back to back, in alternating order (A B, then B A) so a drift in machine load does not favour one; the ratio is
/// taken per round and the median, minimum and maximum over the rounds are reported, with model load times and the
/// in-process cost of a call.
/// </summary>
internal static class CodeFlavorBench
{
    private const string Body = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[120.5, 3, 12.0]]}}""";

    public static async Task RunAsync(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9;
        int[] connectionCounts = args.Length > 2 ? args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [16, 64];
        var root = Directory.CreateTempSubdirectory("strata-bench-code-").FullName;
        var script = Path.Combine(AppContext.BaseDirectory, "post.lua");
        try
        {
            Console.WriteLine("Training the models...");
            var models = await BenchModels.CreateAsync(root);
            await LoadTimes.PrintAsync(models);
            await using var plain = await StartAsync(root, models, batching: false);
            await using var batched = await StartAsync(root, models, batching: true);
            var pairs = new (string Name, string Mlnet, string Code)[]
            {
                ("batching off", Url(plain, "mlnet"), Url(plain, "code")),
                ("batching on", Url(batched, "mlnet"), Url(batched, "code")),
            };
            foreach (var (_, mlnet, code) in pairs)
            {
                await Wrk.RunAsync(mlnet, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None);
                await Wrk.RunAsync(code, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None);
            }

            Console.WriteLine($"{seconds} s per point, {rounds} rounds, each the pair back to back in alternating order; one-row dataframe_split, prediction log off");
            Console.WriteLine();
            Console.WriteLine("| batching | conns | mlnet req/s | code req/s | code / mlnet median | min | max | mlnet p99 ms | code p99 ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var connections in connectionCounts)
            {
                foreach (var (name, mlnetUrl, codeUrl) in pairs)
                {
                    var mlnet = new List<WrkResult>();
                    var code = new List<WrkResult>();
                    for (var round = 0; round < rounds; round++)
                    {
                        var duration = TimeSpan.FromSeconds(seconds);
                        if (round % 2 == 0)
                        {
                            mlnet.Add(await Wrk.RunAsync(mlnetUrl, connections, duration, Body, script, CancellationToken.None));
                            code.Add(await Wrk.RunAsync(codeUrl, connections, duration, Body, script, CancellationToken.None));
                        }
                        else
                        {
                            code.Add(await Wrk.RunAsync(codeUrl, connections, duration, Body, script, CancellationToken.None));
                            mlnet.Add(await Wrk.RunAsync(mlnetUrl, connections, duration, Body, script, CancellationToken.None));
                        }
                    }

                    var ratios = code.Zip(mlnet).Select(p => p.First.RequestsPerSecond / p.Second.RequestsPerSecond).Order().ToArray();
                    var failed = mlnet.Concat(code).Sum(r => r.Non2xx + r.SocketErrors);
                    var line = string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {connections} | {Median(mlnet.Select(r => r.RequestsPerSecond)):0} | {Median(code.Select(r => r.RequestsPerSecond)):0} | {ratios[ratios.Length / 2]:0.00} | {ratios[0]:0.00} | {ratios[^1]:0.00} | {Median(mlnet.Select(r => r.P99Ms)):0.00} | {Median(code.Select(r => r.P99Ms)):0.00} |");
                    Console.WriteLine(failed > 0 ? $"{line} ({failed} failed)" : line);
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static string Url(WebApplication app, string model) => app.ListeningAddresses().First() + $"/serving/{model}/invocations";

    private static async Task<WebApplication> StartAsync(string root, BenchModels models, bool batching)
    {
        var app = await ServingHost.BuildAsync(
            new ServingHostOptions
            {
                Port = 0,
                Serving = new ServingOptions
                {
                    Models = [new ServeModelSpec("mlnet", models.MlnetPath), new ServeModelSpec("code", models.CodePath)],
                    CacheDirectory = Path.Combine(root, "cache"),
                    Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(1) },
                },
            },
            builder => builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning));
        await app.StartAsync();
        return app;
    }
}
