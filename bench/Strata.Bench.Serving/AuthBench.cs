using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
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
/// What <c>--auth</c> costs: log-batch (100 metrics per request) and a deployment's /invocations on two identical
/// servers, one open and one with auth, where a non-admin user (basic auth, the creator of the experiment and the
/// deployment) makes every call. Targets are interleaved round by round; the ratio auth-on / auth-off is the median of
/// the per-round ratios (target >= 0.9).
/// </summary>
internal static class AuthBench
{
    private const string InvocationBody = """{"dataframe_split": {"columns": ["Size", "Rooms", "Age"], "data": [[120.5, 3, 12.0]]}}""";
    private const string AdminPassword = "bench-admin-password";
    private const string UserPassword = "bench-user-password";

    public static async Task RunAsync(string root, int seconds, int[] connectionCounts, int rounds, string script)
    {
        var models = await BenchModels.CreateAsync(root);
        await using var off = await StartAsync(root, auth: false);
        await using var on = await StartAsync(root, auth: true);
        var offTargets = await PrepareAsync(off, models, null);
        var onTargets = await PrepareAsync(on, models, "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bench:" + UserPassword)));
        var points = new (string Name, Target Off, Target On)[]
        {
            ("log-batch, 100 metrics", offTargets.LogBatch, onTargets.LogBatch),
            ("deployment /invocations", offTargets.Invocations, onTargets.Invocations),
        };

        foreach (var (_, a, b) in points)
        {
            await RunAsync(a, 16, 1, script);
            await RunAsync(b, 16, 1, script);
        }

        Console.WriteLine($"--auth on vs off: {seconds} s per point, median of {rounds} interleaved rounds, SQLite, basic auth as a non-admin user, wrk on the same machine");
        Console.WriteLine();
        Console.WriteLine("| target | conns | off req/s | on req/s | on/off (median of rounds) | off p99 ms | on p99 ms | non-2xx |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var connections in connectionCounts)
        {
            foreach (var (name, a, b) in points)
            {
                var offResults = new List<WrkResult>();
                var onResults = new List<WrkResult>();
                for (var round = 0; round < rounds; round++)
                {
                    // Alternate which goes first so neither always gets the warmer machine.
                    if (round % 2 == 0)
                    {
                        offResults.Add(await RunAsync(a, connections, seconds, script));
                        onResults.Add(await RunAsync(b, connections, seconds, script));
                    }
                    else
                    {
                        onResults.Add(await RunAsync(b, connections, seconds, script));
                        offResults.Add(await RunAsync(a, connections, seconds, script));
                    }
                }

                var ratio = Median(onResults.Zip(offResults).Select(p => p.First.RequestsPerSecond / p.Second.RequestsPerSecond));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {connections} | {Median(offResults.Select(r => r.RequestsPerSecond)):0} | {Median(onResults.Select(r => r.RequestsPerSecond)):0} | {ratio:0.00} | " +
                    $"{Median(offResults.Select(r => r.P99Ms)):0.00} | {Median(onResults.Select(r => r.P99Ms)):0.00} | {offResults.Concat(onResults).Sum(r => r.Non2xx + r.SocketErrors)} |"));
            }
        }
    }

    private sealed record Target(string Url, string Body, string? Authorization);

    private static Task<WrkResult> RunAsync(Target target, int connections, int seconds, string script) =>
        Wrk.RunAsync(target.Url, connections, TimeSpan.FromSeconds(seconds), target.Body, script, CancellationToken.None, authorization: target.Authorization);

    private static async Task<WebApplication> StartAsync(string root, bool auth)
    {
        var name = auth ? "auth-on" : "auth-off";
        var options = new StrataServerOptions
        {
            Port = 0,
            BackendStoreUri = "sqlite:///" + Path.Combine(root, name + ".db"),
            ArtifactsDestination = Path.Combine(root, name + "-artifacts"),
            Serving = new ServingOptions { DeploymentPollInterval = TimeSpan.FromMilliseconds(200), MetricsFlushInterval = TimeSpan.FromHours(1) },
        };
        options.Auth.Enabled = auth;
        options.Auth.AdminUsername = "admin";
        options.Auth.AdminPassword = AdminPassword;
        var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.AddFilter(l => l >= LogLevel.Warning));
        await app.StartAsync();
        return app;
    }

    /// <summary>As the bench user (auth on) or anonymously (off): an experiment, a run and a one-version deployment.</summary>
    private static async Task<(Target LogBatch, Target Invocations)> PrepareAsync(WebApplication app, BenchModels models, string? authorization)
    {
        var address = app.ListeningAddresses().First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };
        if (authorization is not null)
        {
            using var admin = new HttpClient { BaseAddress = new Uri(address) };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:" + AdminPassword)));
            (await admin.PostAsJsonAsync("/api/2.0/mlflow/users/create", new { username = "bench", password = UserPassword })).EnsureSuccessStatusCode();
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        var experiment = await (await Ok(client.PostAsJsonAsync("/api/2.0/mlflow/experiments/create", new { name = "auth-bench" }))).Content.ReadFromJsonAsync<JsonElement>();
        var run = await (await Ok(client.PostAsJsonAsync("/api/2.0/mlflow/runs/create", new { experiment_id = experiment.GetProperty("experiment_id").GetString() })))
            .Content.ReadFromJsonAsync<JsonElement>();
        var runId = run.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString();
        var metrics = Enumerable.Range(0, 100).Select(i => new { key = "m" + i.ToString(CultureInfo.InvariantCulture), value = i * 0.5, timestamp = 1_700_000_000_000L, step = 0 });
        var batch = JsonSerializer.Serialize(new { run_id = runId, metrics });

        await DeploymentsBench.RegisterAsync(client, "houses", models.MlnetPath, experiment.GetProperty("experiment_id").GetString());
        await DeploymentsBench.CreateAsync(client, new { name = "houses", route = new[] { new { model_name = "houses", version = "1", weight = 100 } } });
        var routes = app.Services.GetRequiredService<DeploymentRouteTable>();
        while (routes.Find("houses")?.Current is null)
        {
            await Task.Delay(50);
        }

        return (new Target(address + "/api/2.0/mlflow/runs/log-batch", batch, authorization),
            new Target(address + "/deployments/houses/invocations", InvocationBody, authorization));
    }

    private static async Task<HttpResponseMessage> Ok(Task<HttpResponseMessage> call)
    {
        var response = await call;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return response;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
