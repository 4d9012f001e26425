using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Security;
using Strata.Serving.Hosting;

namespace Strata.Bench.Serving;

/// <summary>
/// What <c>strata models serve --api-token-file</c> costs: the same ML.NET model on two scoring servers built as the CLI
/// builds them, one open and one with the network protections (default limits, security headers) and bearer tokens
/// (16 of them, the caller's last, so every compare runs). Targets are interleaved round by round; the ratio
/// protected / open is the median of the per-round ratios.
/// </summary>
internal static class ServeTokensBench
{
    private const string Body = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[120.5, 3, 12.0]]}}""";

    public static async Task RunAsync(string root, int seconds, int[] connectionCounts, int rounds, string script)
    {
        var models = await BenchModels.CreateAsync(root);
        var tokens = Enumerable.Range(0, 16).Select(i => $"bench-serve-token-{i:00}-0123456789abcdef").ToList();
        await using var open = await StartAsync(root, models, null);
        await using var guarded = await StartAsync(root, models, ServeTokens.From(string.Join('\n', tokens), null));
        var openUrl = open.ListeningAddresses().First() + "/invocations";
        var guardedUrl = guarded.ListeningAddresses().First() + "/invocations";
        var bearer = "Bearer " + tokens[^1];

        await Wrk.RunAsync(openUrl, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None);
        await Wrk.RunAsync(guardedUrl, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None, authorization: bearer);

        Console.WriteLine($"models serve with bearer tokens vs open: {seconds} s per point, median of {rounds} interleaved rounds, ML.NET model, one-row /invocations, wrk on the same machine");
        Console.WriteLine();
        Console.WriteLine("| conns | open req/s | tokens req/s | tokens/open (median of rounds) | open p99 ms | tokens p99 ms | non-2xx |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var connections in connectionCounts)
        {
            var openResults = new List<WrkResult>();
            var guardedResults = new List<WrkResult>();
            for (var round = 0; round < rounds; round++)
            {
                // Alternate which goes first so neither always gets the warmer machine.
                if (round % 2 == 0)
                {
                    openResults.Add(await Wrk.RunAsync(openUrl, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None));
                    guardedResults.Add(await Wrk.RunAsync(guardedUrl, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None, authorization: bearer));
                }
                else
                {
                    guardedResults.Add(await Wrk.RunAsync(guardedUrl, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None, authorization: bearer));
                    openResults.Add(await Wrk.RunAsync(openUrl, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None));
                }
            }

            var ratio = Median(guardedResults.Zip(openResults).Select(p => p.First.RequestsPerSecond / p.Second.RequestsPerSecond));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {connections} | {Median(openResults.Select(r => r.RequestsPerSecond)):0} | {Median(guardedResults.Select(r => r.RequestsPerSecond)):0} | {ratio:0.00} | " +
                $"{Median(openResults.Select(r => r.P99Ms)):0.00} | {Median(guardedResults.Select(r => r.P99Ms)):0.00} | {openResults.Concat(guardedResults).Sum(r => r.Non2xx + r.SocketErrors)} |"));
        }
    }

    private static async Task<WebApplication> StartAsync(string root, BenchModels models, ServeTokens? tokens)
    {
        var options = new ServingHostOptions
        {
            Port = 0,
            Serving = new ServingOptions { Models = [new ServeModelSpec("mlnet", models.MlnetPath)], CacheDirectory = Path.Combine(root, "cache") },
        };
        var app = tokens is null
            ? await ServingHost.BuildAsync(options, b => b.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning))
            : await ServingHost.BuildAsync(
                options,
                b =>
                {
                    b.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
                    b.Services.AddStrataServingSecurity(new SecurityOptions(), tokens);
                },
                configureApp: a => a.UseStrataServingSecurity());
        await app.StartAsync();
        return app;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
