using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Core.Deployments;
using Strata.Core.Monitoring;
using Strata.Server;
using Strata.Server.Hosting;
using Strata.Server.Monitoring;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Cli.Tests.Deployments;

/// <summary>
/// <c>strata monitoring profile|drift|metrics|alerts</c> against a real server started in the test process: every
/// command goes through the .NET SDK's monitoring methods, so this checks both against the REST API.
/// </summary>
public sealed class MonitoringCliTests
{
    [Fact]
    public async Task Profile_drift_metrics_and_alerts_from_the_command_line()
    {
        var directory = Directory.CreateTempSubdirectory("strata-cli-monitoring-").FullName;
        var options = new StrataServerOptions { Port = 0, BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db"), ArtifactsDestination = Path.Combine(directory, "artifacts") };
        options.Monitoring.ProfileOnRegister = false;
        options.Monitoring.DriftInterval = TimeSpan.Zero;
        options.Monitoring.AlertInterval = TimeSpan.Zero;
        var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
        try
        {
            await app.StartAsync();
            var url = app.ListeningAddresses().First();
            using var client = new HttpClient { BaseAddress = new Uri(url) };
            (await client.PostAsJsonAsync("/api/2.0/mlflow/registered-models/create", new { name = "churn" })).EnsureSuccessStatusCode();
            (await client.PostAsJsonAsync("/api/2.0/mlflow/model-versions/create", new { name = "churn", source = "s3://b/1" })).EnsureSuccessStatusCode();
            (await client.PostAsJsonAsync("/api/2.0/mlflow/registered-models/alias", new { name = "churn", alias = "champion", version = "1" })).EnsureSuccessStatusCode();

            async Task<JsonElement> RunAsync(params string[] args)
            {
                var (exit, stdout, stderr) = await CliProcess.RunAsync(["monitoring", .. args, "--tracking-uri", url]);
                Assert.True(exit == 0, $"{string.Join(' ', args)}: exit {exit}: {stderr}");
                return JsonDocument.Parse(stdout).RootElement.Clone();
            }

            // Training data: x evenly in 0..3, a category cycling a/b/c.
            var csv = new StringBuilder("x,c\n");
            for (var i = 0; i < 300; i++)
            {
                csv.Append(CultureInfo.InvariantCulture, $"{i / 100.0},{"abc"[i % 3]}\n");
            }

            var file = Path.Combine(directory, "train.csv");
            await File.WriteAllTextAsync(file, csv.ToString());
            var profile = await RunAsync("profile", "compute", "-m", "churn", "-v", "champion", "--file", file);
            Assert.Equal(300, profile.GetProperty("reference_profile").GetProperty("profile").GetProperty("row_count").GetInt64());
            Assert.Equal("1", (await RunAsync("profile", "get", "-m", "churn", "-v", "1")).GetProperty("reference_profile").GetProperty("version").GetString());

            // Live traffic moved x up by 2: drift on x, none on c.
            var log = new PredictionLogStore(app.Services.GetRequiredService<IDatabase>());
            var records = Enumerable.Range(0, 20).Select(r => new PredictionLogRecord(
                $"req-{r}", "churn", "1", 10_000 + r, 100, 200, "mlflow",
                "{\"dataframe_split\": {\"columns\": [\"x\", \"c\"], \"data\": ["
                    + string.Join(", ", Enumerable.Range(r * 10, 10).Select(k => $"[{(2 + (k * 3 / 200.0)).ToString(CultureInfo.InvariantCulture)}, \"{"abc"[k % 3]}\"]")) + "]}}",
                "{\"predictions\": [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]}",
                null)).ToList();
            await log.InsertAsync(records, default);
            var computed = (await RunAsync("drift", "compute", "-m", "churn", "-v", "1", "--from", "10000", "--to", "20000")).GetProperty("drift_runs")[0];
            Assert.Equal(200, computed.GetProperty("current_rows").GetInt64());
            var drifted = computed.GetProperty("features").EnumerateArray().Where(f => f.GetProperty("drifted").GetBoolean()).Select(f => f.GetProperty("feature").GetString());
            Assert.Equal(["x"], drifted);
            var listed = (await RunAsync("drift", "list", "-m", "churn")).GetProperty("drift_runs");
            Assert.Equal(computed.GetProperty("id").GetString(), listed[0].GetProperty("id").GetString());
            var (both, _, bothError) = await CliProcess.RunAsync("monitoring", "drift", "list", "-m", "churn", "-d", "churn-api", "--tracking-uri", url);
            Assert.Equal(2, both);
            Assert.Contains("--deployment or --model", bothError, StringComparison.Ordinal);

            // Metrics and alerts of a deployment serving the version.
            (await client.PostAsJsonAsync("/api/2.0/strata/deployments", new { name = "churn-api", route = new[] { new { model_name = "churn", alias = "champion" } } })).EnsureSuccessStatusCode();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var sketch = new LatencySketch();
            sketch.Add(5_000, 40);
            await app.Services.GetRequiredService<IServiceMetricsStore>().UpsertAsync(
                [new ServiceMetricsRow("churn-api", "churn", "1", false, MetricsResolution.Minute, ServiceMetricsMerge.BucketStart(now, MetricsResolution.Minute), "r1", 40, 10, 200_000, 0, 0, sketch)],
                default);
            var metrics = await RunAsync("metrics", "-d", "churn-api", "--since", "10m");
            var total = Assert.Single(metrics.GetProperty("totals").EnumerateArray());
            Assert.Equal((40, 10), (total.GetProperty("requests").GetInt64(), total.GetProperty("errors").GetInt64()));

            var set = await RunAsync("alerts", "set", "-d", "churn-api", "--error-rate", "0.2", "--latency-p99-ms", "100", "--window-minutes", "3");
            Assert.Equal(3, set.GetProperty("alert_thresholds").GetProperty("window_minutes").GetInt32());
            await app.Services.GetRequiredService<ServiceAlertScheduler>().RunOnceAsync(default);
            var states = (await RunAsync("alerts", "get", "-d", "churn-api")).GetProperty("alert_thresholds").GetProperty("states").EnumerateArray()
                .Select(s => (s.GetProperty("signal").GetString(), s.GetProperty("alerting").GetBoolean()));
            Assert.Equal([("error_rate", true), ("latency_p99", false)], states);
            var events = (await RunAsync("alerts", "events", "-d", "churn-api")).GetProperty("events");
            Assert.Equal(MonitoringEventTypes.ErrorRateExceeded, Assert.Single(events.EnumerateArray()).GetProperty("event_type").GetString());

            var (bad, _, badError) = await CliProcess.RunAsync("monitoring", "alerts", "set", "-d", "churn-api", "--error-rate", "3", "--tracking-uri", url);
            Assert.Equal(1, bad);
            Assert.Contains("INVALID_PARAMETER_VALUE", badError, StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(directory, recursive: true);
        }
    }
}
