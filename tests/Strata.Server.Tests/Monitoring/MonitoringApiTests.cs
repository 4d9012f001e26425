using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Monitoring;
using Strata.Server.Monitoring;
using Strata.Server.Tests.Infrastructure;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Server.Tests.Monitoring;

/// <summary>
/// The monitoring endpoints end to end: a version's profile computed from the dataset its run logged (and uploaded),
/// drift over logged predictions per version and per deployment, alert thresholds and the registry events they record,
/// the background rounds, and the error codes of bad requests.
/// </summary>
public sealed class MonitoringApiTests(MonitoringServerFixture fixture) : IClassFixture<MonitoringServerFixture>
{
    private const string Mlflow = TrackingClient.Api;
    private const string Monitoring = MonitoringApi.Prefix + "/";
    private const string Deployments = MonitoringApi.DeploymentsPrefix + "/";

    private StrataTestServer Server => fixture.Server;

    /// <summary>300 rows: x = 0..2.99 evenly, c cycling a/b/c, label yes when x ≥ 1.5.</summary>
    private static string TrainingCsv()
    {
        var csv = new StringBuilder("x,c,label\n");
        for (var i = 0; i < 300; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i / 100.0},{"abc"[i % 3]},{(i >= 150 ? "yes" : "no")}\n");
        }

        return csv.ToString();
    }

    /// <summary>A registered model whose version 1 came from a run that logged <paramref name="source"/> as its training dataset.</summary>
    private async Task<(string Model, string RunId)> RegisterWithDatasetAsync(string source, bool upload = true)
    {
        var model = "mon-" + Guid.NewGuid().ToString("N")[..10];
        var experiment = await Server.CreateExperimentAsync();
        var run = await Server.CreateRunAsync(experiment);
        var runId = run.GetProperty("info").GetProperty("run_id").GetString()!;
        var artifactUri = run.GetProperty("info").GetProperty("artifact_uri").GetString()!;
        if (upload)
        {
            var proxyPath = artifactUri["mlflow-artifacts:/".Length..];
            using var put = await Server.Client.PutAsync($"api/2.0/mlflow-artifacts/artifacts/{proxyPath}/data/train.csv", new StringContent(TrainingCsv()));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        (await Server.PostAsync(Mlflow + "runs/log-inputs", new
        {
            run_id = runId,
            datasets = new[]
            {
                new
                {
                    tags = new[] { new { key = "mlflow.data.context", value = "training" } },
                    dataset = new { name = "train", digest = "d1", source_type = "local", source = source.Replace("RUN", runId, StringComparison.Ordinal) },
                },
            },
        })).Ok();
        (await Server.PostAsync(Mlflow + "registered-models/create", new { name = model })).Ok();
        (await Server.PostAsync(Mlflow + "model-versions/create", new { name = model, source = artifactUri + "/model", run_id = runId })).Ok();
        return (model, runId);
    }

    private async Task LogPredictionsAsync(string model, long start, Func<int, double> x, Func<int, string> label, int count = 200)
    {
        var log = new PredictionLogStore(Server.Services.GetRequiredService<IDatabase>());
        var records = new List<PredictionLogRecord>();
        for (var i = 0; i < count; i += 10)
        {
            // Requests of 10 rows each, as a client batching its calls sends them.
            var rows = Enumerable.Range(i, 10).Select(k => $"[{x(k).ToString(CultureInfo.InvariantCulture)}, \"{"abc"[k % 3]}\"]");
            var predictions = Enumerable.Range(i, 10).Select(k => $"\"{label(k)}\"");
            records.Add(new PredictionLogRecord(
                $"req-{model}-{start}-{i}", model, "1", start + i, 100, 200, "mlflow",
                "{\"dataframe_split\": {\"columns\": [\"x\", \"c\"], \"data\": [" + string.Join(", ", rows) + "]}}",
                "{\"predictions\": [" + string.Join(", ", predictions) + "]}",
                null));
        }

        await log.InsertAsync(records, default);
    }

    private static Dictionary<string, JsonElement> Features(JsonElement run) =>
        run.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("feature").GetString()!);

    [Fact]
    public async Task A_profile_is_computed_from_the_training_dataset_the_run_logged()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "runs:/RUN/data/train.csv"}""");

        var body = (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "1", prediction_column = "label" })).Ok();

        var stored = body.GetProperty("reference_profile");
        Assert.Equal((model, "1"), (stored.GetProperty("name").GetString(), stored.GetProperty("version").GetString()));
        var profile = stored.GetProperty("profile");
        Assert.Equal(300, profile.GetProperty("row_count").GetInt64());
        Assert.Equal("label", profile.GetProperty("prediction_column").GetString());
        var x = profile.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "x");
        Assert.Equal("Numeric", x.GetProperty("kind").GetString());
        Assert.Equal(1.495, x.GetProperty("mean").GetDouble(), 9);
        Assert.Equal(300, x.GetProperty("sample").GetArrayLength());

        var read = (await Server.GetAsync($"{Monitoring}profiles?name={model}&version=1")).Ok();
        Assert.Equal(300, read.GetProperty("reference_profile").GetProperty("profile").GetProperty("row_count").GetInt64());
    }

    [Fact]
    public async Task A_new_version_is_profiled_by_the_registry_round()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "data/train.csv"}""");
        // Versions whose run logged nothing readable are skipped, not retried forever.
        var (unreadable, _) = await RegisterWithDatasetAsync("""{"uri": "/etc/passwd"}""", upload: false);

        var profiler = Server.Services.GetRequiredService<RegisteredVersionProfiler>();
        while (await profiler.RunOnceAsync(default) > 0)
        {
        }

        Assert.Equal(300, (await Server.GetAsync($"{Monitoring}profiles?name={model}&version=1")).Ok()
            .GetProperty("reference_profile").GetProperty("profile").GetProperty("row_count").GetInt64());
        (await Server.GetAsync($"{Monitoring}profiles?name={unreadable}&version=1")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_profile_can_be_uploaded_as_csv_or_json()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "runs:/RUN/data/train.csv"}""", upload: false);

        var csv = (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1&prediction_column=label", TrainingCsv(), "text/csv")).Ok();
        Assert.Equal("upload", csv.GetProperty("reference_profile").GetProperty("profile").GetProperty("source").GetString());
        // CSV posted to the profiles route itself is an upload too.
        (await Server.PostAsync($"{Monitoring}profiles?name={model}&version=1", TrainingCsv(), "text/csv")).Ok();

        var json = (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1", """[{"x": 1, "c": "a"}, {"x": 2, "c": "b"}]""")).Ok();
        Assert.Equal(2, json.GetProperty("reference_profile").GetProperty("profile").GetProperty("row_count").GetInt64());
    }

    [Fact]
    public async Task Drift_is_computed_per_version_and_per_deployment_and_kept()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "runs:/RUN/data/train.csv"}""");
        (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "1", prediction_column = "label" })).Ok();
        // The same distribution as training in one window; x shifted by 1 and every prediction "yes" in a later one.
        await LogPredictionsAsync(model, 10_000, k => (k * 1.5) / 100.0, k => k >= 100 ? "yes" : "no");
        await LogPredictionsAsync(model, 50_000, k => 1 + (k * 1.5 / 100.0), _ => "yes");

        var same = (await Server.PostAsync(Monitoring + "drift/compute", new { name = model, version = "1", from = "10000", to = "20000" })).Ok()
            .GetProperty("drift_runs")[0];
        Assert.Equal((200, 0, 0.0), (same.GetProperty("current_rows").GetInt64(), same.GetProperty("features_drifted").GetInt32(), same.GetProperty("drift_share").GetDouble()));
        var features = Features(same);
        Assert.Equal(["c", "label", "x"], features.Keys.Order());
        Assert.Equal(("ks", 0.05), (features["x"].GetProperty("method").GetString(), features["x"].GetProperty("threshold").GetDouble()));
        Assert.True(features["label"].GetProperty("is_prediction").GetBoolean());

        var moved = (await Server.PostAsync(Deployments + model + "/drift/compute", new { version = "1", from = "50000", to = "60000" })).Ok()
            .GetProperty("drift_runs")[0];
        var movedFeatures = Features(moved);
        Assert.True(movedFeatures["x"].GetProperty("drifted").GetBoolean());
        Assert.True(movedFeatures["label"].GetProperty("drifted").GetBoolean());
        Assert.False(movedFeatures["c"].GetProperty("drifted").GetBoolean());
        Assert.Equal(2.0 / 3, moved.GetProperty("drift_share").GetDouble(), 12);
        Assert.Equal(model, moved.GetProperty("deployment").GetString());

        var history = (await Server.GetAsync($"{Monitoring}drift?name={model}&version=1")).Ok().GetProperty("drift_runs");
        Assert.Equal([60_000L, 20_000L], history.EnumerateArray().Select(r => r.GetProperty("window_end_ms").GetInt64()));
        var byDeployment = (await Server.GetAsync($"{Deployments}{model}/drift?version=1&from=50000&to=70000")).Ok().GetProperty("drift_runs");
        Assert.Equal([60_000L], byDeployment.EnumerateArray().Select(r => r.GetProperty("window_end_ms").GetInt64()));
        // PSI on request.
        var psi = (await Server.PostAsync(Monitoring + "drift/compute", new { name = model, version = "1", from = "50000", to = "60000", method = "psi" })).Ok();
        Assert.All(psi.GetProperty("drift_runs")[0].GetProperty("features").EnumerateArray(), f => Assert.Equal("psi", f.GetProperty("method").GetString()));
    }

    [Fact]
    public async Task Crossing_the_drift_share_threshold_records_a_registry_event()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "runs:/RUN/data/train.csv"}""");
        (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "1", prediction_column = "label" })).Ok();
        await LogPredictionsAsync(model, 50_000, k => 1 + (k * 1.5 / 100.0), _ => "yes");

        var set = (await Server.SendAsync(HttpMethod.Put, $"{Deployments}{model}/alerts", """{"drift_share": 0.5, "error_rate": 0.02, "latency_p99_ms": 300}""", "application/json")).Ok();
        Assert.Equal((0.5, 0.02, 300.0), (
            set.GetProperty("alert_thresholds").GetProperty("drift_share").GetDouble(),
            set.GetProperty("alert_thresholds").GetProperty("error_rate").GetDouble(),
            set.GetProperty("alert_thresholds").GetProperty("latency_p99_ms").GetDouble()));
        (await Server.PostAsync(Deployments + model + "/drift/compute", new { from = "50000", to = "60000" })).Ok();
        (await Server.PostAsync(Deployments + model + "/drift/compute", new { from = "50000", to = "60000" })).Ok();

        var events = (await Server.GetAsync($"/api/2.0/strata/registry/events?name={model}")).Ok().List("events")
            .Where(e => e.GetProperty("event_type").GetString()!.StartsWith("deployment.", StringComparison.Ordinal)).ToList();
        var crossing = Assert.Single(events);
        Assert.Equal(MonitoringEventTypes.DriftShareExceeded, crossing.GetProperty("event_type").GetString());
        var alerts = (await Server.GetAsync($"{Deployments}{model}/alerts")).Ok().GetProperty("alert_thresholds");
        Assert.True(alerts.GetProperty("drift_alerting").GetBoolean());
        Assert.Equal((5, 1), (alerts.GetProperty("window_minutes").GetInt32(), alerts.GetProperty("min_requests").GetInt32()));
        var listed = Assert.Single((await Server.GetAsync($"{Deployments}{model}/alerts/events")).Ok().List("events"));
        Assert.Equal(crossing.GetProperty("id").GetInt64(), listed.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Error_rate_and_latency_alerts_are_evaluated_from_the_stored_service_metrics()
    {
        const string deployment = "alerting-service";
        var set = (await Server.PostAsync($"{Deployments}{deployment}/alerts", new { error_rate = 0.05, latency_p99_ms = 500, window_minutes = 2, min_requests = 10 })).Ok();
        Assert.Equal(2, set.GetProperty("alert_thresholds").GetProperty("window_minutes").GetInt32());

        // Two replicas' rows for the current minute: 4 + 4 failures of 100 requests, all fast.
        var minute = Strata.Core.Deployments.ServiceMetricsMerge.BucketStart(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Strata.Core.Deployments.MetricsResolution.Minute);
        Strata.Core.Deployments.ServiceMetricsRow Row(string replica, int requests, int errors)
        {
            var sketch = new Strata.Core.Deployments.LatencySketch();
            sketch.Add(20_000, requests);
            return new(deployment, "churn", "3", false, Strata.Core.Deployments.MetricsResolution.Minute, minute, replica, requests, errors, requests * 20_000L, 0, 0, sketch);
        }

        await Server.Services.GetRequiredService<Strata.Core.Deployments.IServiceMetricsStore>().UpsertAsync([Row("r1", 50, 4), Row("r2", 50, 4)], default);
        await Server.Services.GetRequiredService<ServiceAlertScheduler>().RunOnceAsync(default);

        var alerts = (await Server.GetAsync($"{Deployments}{deployment}/alerts")).Ok().GetProperty("alert_thresholds");
        var states = alerts.GetProperty("states").EnumerateArray().ToList();
        Assert.Equal(
            [("error_rate", "3", true), ("latency_p99", "3", false)],
            states.Select(s => (s.GetProperty("signal").GetString(), s.GetProperty("version").GetString(), s.GetProperty("alerting").GetBoolean())));
        Assert.Equal(0.08, states[0].GetProperty("error_rate").GetDouble(), 10);
        var events = (await Server.GetAsync($"{Deployments}{deployment}/alerts/events")).Ok().List("events");
        var e = Assert.Single(events);
        Assert.Equal((MonitoringEventTypes.ErrorRateExceeded, "churn", "3"), (e.GetProperty("event_type").GetString(), e.GetProperty("name").GetString(), e.GetProperty("version").GetString()));
        Assert.Equal(deployment, e.GetProperty("after").GetProperty("deployment").GetString());
    }

    [Fact]
    public async Task The_scheduled_round_computes_each_profiled_version_once_per_window()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "runs:/RUN/data/train.csv"}""");
        (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "1", prediction_column = "label" })).Ok();
        const long hour = 3_600_000;
        var windowEnd = 1_000 * hour;
        await LogPredictionsAsync(model, windowEnd - hour + 5, k => 1 + (k * 1.5 / 100.0), _ => "yes");

        var scheduler = Server.Services.GetRequiredService<DriftScheduler>();
        var runs = await scheduler.RunOnceAsync(windowEnd, default);
        var mine = Assert.Single(runs, r => r.ModelName == model);
        Assert.Equal((DriftTriggers.Schedule, windowEnd - hour, windowEnd - 1, 200L), (mine.Trigger, mine.WindowStartMs, mine.WindowEndMs, mine.CurrentRows));
        Assert.DoesNotContain(await scheduler.RunOnceAsync(windowEnd, default), r => r.ModelName == model);
    }

    [Fact]
    public async Task Bad_requests_get_mlflow_error_codes()
    {
        var (model, _) = await RegisterWithDatasetAsync("""{"uri": "/etc/passwd"}""", upload: false);
        (await Server.PostAsync(Monitoring + "profiles", new { version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "9" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "x1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        // A source outside the artifact stores is never read.
        var outside = await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "1" });
        outside.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("not an artifact", outside.Text, StringComparison.Ordinal);
        (await Server.PostAsync(Monitoring + "profiles", new { name = model, version = "1", dataset_name = "nope" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Monitoring}profiles?name={model}&version=1")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1", "x", "text/plain")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1", "", "text/csv")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1", "{broken", "application/json")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1&prediction_column=zzz", "x\n1\n", "text/csv")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        // Drift needs a profile, a known method, a sane window.
        (await Server.PostAsync(Monitoring + "drift/compute", new { name = model, version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Monitoring}profiles/upload?name={model}&version=1", "x\n1\n2\n", "text/csv")).Ok();
        (await Server.PostAsync(Monitoring + "drift/compute", new { name = model, version = "1", method = "magic" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Monitoring + "drift/compute", new { name = model, version = "1", threshold = -1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Monitoring + "drift/compute", new { name = model, version = "1", from = "20", to = "10" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Monitoring}drift?name={model}&from=yesterday")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Monitoring}drift?name={model}&max_results=0")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Monitoring}drift?name=ghost-model")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Deployments + "ghost-deployment/drift/compute", new { })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Deployments}{model}/drift?version=7")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        // Alert thresholds: shares within 0..1, a positive latency; unknown deployments have none.
        (await Server.GetAsync($"{Deployments}ghost-deployment/alerts")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{Deployments}{model}/alerts", new { drift_share = 1.5 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Deployments}{model}/alerts", new { error_rate = -0.1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Deployments}{model}/alerts", new { latency_p99_ms = 0 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Deployments}{model}/alerts", new { drift_share = "lots" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Deployments}{model}/alerts", new { error_rate = 0.1, window_minutes = 0 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Deployments}{model}/alerts", new { error_rate = 0.1, min_requests = -3 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Deployments}{model}/alerts/events?max_results=0")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Deployments}{model}/alerts/events?page_token=garbage")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }
}
