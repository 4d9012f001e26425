using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Server;
using Strata.Server.Hosting;
using Strata.Serving.Deployments;
using Strata.Serving.Hosting;

namespace Strata.Bench.Serving;

/// <summary>
/// Deployments in <c>strata server</c>: a two-version route with a shadow against a one-version route of the same
/// ML.NET model (the throughput ratio), and the cost of serving (CPU-ms per 1,000 predictions from the deployments'
/// own service metrics) for ML.NET and ONNX. Each wrk run is followed by a metrics flush, so every flush interval holds
/// one target's traffic and the process CPU it measured belongs to that target alone.
/// </summary>
internal static class DeploymentsBench
{
    private const string Body = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[120.5, 3, 12.0]]}}""";

    public static async Task RunAsync(string root, int seconds, int[] connectionCounts, int rounds, string script)
    {
        var models = await BenchModels.CreateAsync(root);
        var options = new StrataServerOptions
        {
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(root, "deployments.db"),
            ArtifactsDestination = Path.Combine(root, "artifacts"),
            Serving = new ServingOptions { DeploymentPollInterval = TimeSpan.FromMilliseconds(200), MetricsFlushInterval = TimeSpan.FromHours(1) },
        };
        await using var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.AddFilter(l => l >= LogLevel.Warning));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.ListeningAddresses().First()) };

        // Versions 1-3: the same ML.NET model registered three times (two route legs and a shadow); version 4: its ONNX export.
        foreach (var folder in new[] { models.MlnetPath, models.MlnetPath, models.MlnetPath, models.OnnxPath })
        {
            await RegisterAsync(client, "houses", folder);
        }

        await CreateAsync(client, new { name = "single", route = new[] { new { model_name = "houses", version = "1", weight = 100 } } });
        await CreateAsync(client, new
        {
            name = "split-shadow",
            route = new[] { new { model_name = "houses", version = "1", weight = 50 }, new { model_name = "houses", version = "2", weight = 50 } },
            shadow = new { model_name = "houses", version = "3" },
        });
        await CreateAsync(client, new { name = "onnx", route = new[] { new { model_name = "houses", version = "4", weight = 100 } } });
        var routes = app.Services.GetRequiredService<DeploymentRouteTable>();
        while (routes.Find("single")?.Current is null || routes.Find("split-shadow")?.Current is null || routes.Find("onnx")?.Current is null)
        {
            await Task.Delay(50);
        }

        var collector = app.Services.GetRequiredService<ServiceMetricsCollector>();
        var shadow = app.Services.GetRequiredService<ShadowMirror>();
        var address = app.ListeningAddresses().First();
        var targets = new (string Name, string Url)[]
        {
            ("mlnet, one version", address + "/deployments/single/invocations"),
            ("mlnet, two versions 50/50 + shadow", address + "/deployments/split-shadow/invocations"),
            ("onnx, one version", address + "/deployments/onnx/invocations"),
        };
        foreach (var (_, url) in targets)
        {
            await Wrk.RunAsync(url, 16, TimeSpan.FromSeconds(1), Body, script, CancellationToken.None);
            await collector.FlushAsync(CancellationToken.None);
        }

        var from = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var mirroredBefore = shadow.Mirrored;
        var droppedBefore = shadow.Dropped;
        Console.WriteLine($"Deployments in strata server: {seconds} s per point, median of {rounds} interleaved rounds, one-row bodies, prediction log on (SQLite), wrk on the same machine");
        Console.WriteLine();
        Console.WriteLine("| target | conns | req/s | vs one version | p50 ms | p99 ms | non-2xx |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var connections in connectionCounts)
        {
            var results = targets.Select(_ => new List<WrkResult>()).ToArray();
            for (var round = 0; round < rounds; round++)
            {
                for (var t = 0; t < targets.Length; t++)
                {
                    results[t].Add(await Wrk.RunAsync(targets[t].Url, connections, TimeSpan.FromSeconds(seconds), Body, script, CancellationToken.None));
                    await collector.FlushAsync(CancellationToken.None);
                }
            }

            var baseline = Median(results[0].Select(r => r.RequestsPerSecond));
            for (var t = 0; t < targets.Length; t++)
            {
                var rps = Median(results[t].Select(r => r.RequestsPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {targets[t].Name} | {connections} | {rps:0} | {rps / baseline:0.00} | {Median(results[t].Select(r => r.P50Ms)):0.00} | {Median(results[t].Select(r => r.P99Ms)):0.00} | {results[t].Sum(r => r.Non2xx + r.SocketErrors)} |"));
            }
        }

        // Let the shadow drain, then write its last answers.
        for (var i = 0; i < 100 && shadow.Depth > 0; i++)
        {
            await Task.Delay(50);
        }

        await collector.FlushAsync(CancellationToken.None);
        Console.WriteLine();
        Console.WriteLine($"shadow: {shadow.Mirrored - mirroredBefore} copies answered or queued, {shadow.Dropped - droppedBefore} dropped (queue full)");
        Console.WriteLine();
        Console.WriteLine("| deployment | version | role | predictions | CPU-ms per 1,000 predictions | allocated KB per 1,000 | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---|---:|---:|---:|---:|---:|");
        foreach (var name in new[] { "single", "split-shadow", "onnx" })
        {
            var metrics = await client.GetFromJsonAsync<JsonElement>($"/api/2.0/strata/deployments/{name}/metrics?from={from}&bucket=minute");
            foreach (var p in metrics.GetProperty("totals").EnumerateArray())
            {
                var requests = p.GetProperty("requests").GetInt64();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {p.GetProperty("model_version").GetString()} | {(p.GetProperty("shadow").GetBoolean() ? "shadow" : "route")} | {requests} | {p.GetProperty("cpu_ms_per_1000_predictions").GetDouble():0.0} | {p.GetProperty("allocated_bytes").GetInt64() / 1024.0 * 1000 / Math.Max(1, requests):0} | {p.GetProperty("latency_p50_ms").GetDouble():0.00} | {p.GetProperty("latency_p99_ms").GetDouble():0.00} |"));
            }
        }
    }

    /// <summary>Uploads the folder through the artifact proxy (under <paramref name="experimentId"/>'s prefix when given, as a server with --auth requires) and registers it.</summary>
    internal static async Task RegisterAsync(HttpClient client, string model, string folder, string? experimentId = null)
    {
        var prefix = (experimentId is null ? "" : experimentId + "/") + $"registry/{model}/{Guid.NewGuid():N}";
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            using var put = await client.PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{prefix}/{Path.GetFileName(file)}", new ByteArrayContent(await File.ReadAllBytesAsync(file)));
            put.EnsureSuccessStatusCode();
        }

        using (var get = await client.GetAsync($"/api/2.0/mlflow/registered-models/get?name={model}"))
        {
            if (!get.IsSuccessStatusCode)
            {
                (await client.PostAsJsonAsync("/api/2.0/mlflow/registered-models/create", new { name = model })).EnsureSuccessStatusCode();
            }
        }

        (await client.PostAsJsonAsync("/api/2.0/mlflow/model-versions/create", new { name = model, source = "mlflow-artifacts:/" + prefix })).EnsureSuccessStatusCode();
    }

    internal static async Task CreateAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/2.0/strata/deployments", body);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException(await response.Content.ReadAsStringAsync());
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
