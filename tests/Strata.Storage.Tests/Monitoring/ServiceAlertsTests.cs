using System.Text.Json;
using Strata.Core.Deployments;
using Strata.Core.Monitoring;
using Strata.Storage.Deployments;
using Strata.Storage.Monitoring;
using Strata.Storage.Registry;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Monitoring;

public sealed class SqliteServiceAlertsTests(SqliteDatabaseFixture fixture) : ServiceAlertsTests<SqliteDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresServiceAlertsTests(PostgresDatabaseFixture fixture) : ServiceAlertsTests<PostgresDatabaseFixture>(fixture);

/// <summary>
/// Error-rate and latency-p99 alerts evaluated from service metrics written through the real metrics store (rows of
/// two replicas, merged), with their states, events and the deployment's event list, on both dialects.
/// </summary>
public abstract class ServiceAlertsTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IDatabaseFixture
{
    private const long Start = 1_800_000_000_000; // a minute boundary
    private readonly MonitoringStore _store = new(fixture.Database);
    private readonly ServiceMetricsStore _metrics = new(fixture.Database);
    private readonly RegistryStore _registry = new(fixture.Database);
    private readonly ManualTime _time = new(Start + 30_000);

    private ServiceAlertEvaluator Evaluator => new(_store, _metrics, _time);

    /// <summary>One evaluation of this test's deployment (the class's tests share a database, each with its own deployment and clock).</summary>
    private async Task<IReadOnlyList<AlertCrossing>> EvaluateAsync(string deployment) =>
        await Evaluator.EvaluateAsync((await _store.GetAlertThresholdsAsync(deployment, default))!, default);

    /// <summary>One replica's minute row: <paramref name="fast"/> requests at 10 ms and <paramref name="slow"/> at 800 ms, <paramref name="errors"/> of them failed.</summary>
    private static ServiceMetricsRow Row(string deployment, string version, long minuteMs, string replica, int fast, int slow, int errors, bool shadow = false)
    {
        var sketch = new LatencySketch();
        sketch.Add(10_000, fast);
        if (slow > 0)
        {
            sketch.Add(800_000, slow);
        }

        return new ServiceMetricsRow(deployment, "churn", version, shadow, MetricsResolution.Minute, minuteMs, replica,
            fast + slow, errors, (fast * 10_000L) + (slow * 800_000L), 1000, 1000, sketch);
    }

    private async Task<AlertThresholds> WatchAsync(string deployment, double? errorRate, double? latencyMs, int window = 5, long minRequests = 1) =>
        await _store.SetAlertThresholdsAsync(
            new AlertThresholds(deployment, errorRate, latencyMs, null, Start, "ops") { WindowMinutes = window, MinRequests = minRequests }, default);

    private async Task<List<string>> EventTypesAsync(string deployment) =>
        (await _store.ListAlertEventsAsync(deployment, 100, null, default)).Items.Select(e => e.EventType).Reverse().ToList();

    [Fact]
    public async Task The_error_rate_of_two_replicas_adds_up_and_a_crossing_is_recorded_once_until_it_recovers()
    {
        await WatchAsync("err-api", errorRate: 0.1, latencyMs: null);
        // Neither replica alone is what the version does: 2/60 and 10/40 are 12/100 together.
        await _metrics.UpsertAsync([Row("err-api", "1", Start, "a", 60, 0, 2), Row("err-api", "1", Start, "b", 40, 0, 10)], default);

        var first = await EvaluateAsync("err-api");
        Assert.Equal([MonitoringEventTypes.ErrorRateExceeded], first.Select(c => c.EventType));
        Assert.Equal(0.12, first[0].Observation.Value, 10);
        Assert.Empty(await EvaluateAsync("err-api"));

        var state = Assert.Single(await _store.ListAlertStatesAsync("err-api", default));
        Assert.Equal((AlertSignals.ErrorRate, "1", true, 100L, 0.1), (state.Signal, state.ModelVersion, state.Alerting, state.Requests, state.Threshold));

        // Ten minutes on, the window holds only healthy traffic.
        _time.Now = Start + 600_000 + 5_000;
        await _metrics.UpsertAsync([Row("err-api", "1", Start + 600_000, "a", 100, 0, 1)], default);
        var recovered = await EvaluateAsync("err-api");
        Assert.Equal([MonitoringEventTypes.ErrorRateRecovered], recovered.Select(c => c.EventType));
        Assert.Empty(await EvaluateAsync("err-api"));
        Assert.Equal([MonitoringEventTypes.ErrorRateExceeded, MonitoringEventTypes.ErrorRateRecovered], await EventTypesAsync("err-api"));

        // The event is a registry event of the model, with the payload the webhooks deliver.
        var registered = (await _registry.ListEventsAsync("churn", 1000, null, default)).Items.Single(e => e.Id == first[0].EventId);
        Assert.Equal((MonitoringEventTypes.ErrorRateExceeded, 1L, Start + 30_000), (registered.EventType, registered.Version, registered.Timestamp));
        using var payload = JsonDocument.Parse(registered.After!);
        var root = payload.RootElement;
        Assert.Equal("err-api", root.GetProperty("deployment").GetString());
        Assert.Equal("churn", root.GetProperty("model_name").GetString());
        Assert.Equal("1", root.GetProperty("version").GetString());
        Assert.Equal(0.12, root.GetProperty("error_rate").GetDouble(), 10);
        Assert.Equal(0.1, root.GetProperty("threshold").GetDouble());
        Assert.Equal(Start - 240_000, root.GetProperty("window_start_ms").GetInt64());
        Assert.Equal(Start + 60_000, root.GetProperty("window_end_ms").GetInt64());
        Assert.Equal(100, root.GetProperty("requests").GetInt64());
    }

    [Fact]
    public async Task Latency_p99_is_judged_per_served_version_and_the_shadow_is_not_watched()
    {
        await WatchAsync("lat-api", errorRate: null, latencyMs: 250);
        await _metrics.UpsertAsync(
            [
                Row("lat-api", "1", Start, "a", 95, 0, 0), Row("lat-api", "1", Start - 60_000, "b", 0, 5, 0), // p99 of version 1 is 800 ms
                Row("lat-api", "2", Start, "a", 100, 0, 0),                                                  // version 2 is fast
                Row("lat-api", "3", Start, "a", 0, 50, 0, shadow: true),                                     // a slow shadow
            ],
            default);

        var crossings = await EvaluateAsync("lat-api");
        var crossing = Assert.Single(crossings);
        Assert.Equal((MonitoringEventTypes.LatencyP99Exceeded, "1"), (crossing.EventType, crossing.Observation.ModelVersion));
        Assert.True(crossing.Observation.Value > 250, $"p99 {crossing.Observation.Value}");
        var states = await _store.ListAlertStatesAsync("lat-api", default);
        Assert.Equal([("1", true), ("2", false)], states.Select(s => (s.ModelVersion, s.Alerting)));
        using var payload = JsonDocument.Parse((await _store.ListAlertEventsAsync("lat-api", 10, null, default)).Items[0].After!);
        Assert.True(payload.RootElement.GetProperty("latency_p99_ms").GetDouble() > 250);
    }

    [Fact]
    public async Task Too_little_traffic_changes_nothing_and_an_alerting_version_without_traffic_recovers()
    {
        await WatchAsync("few-api", errorRate: 0.5, latencyMs: null, window: 1, minRequests: 10);
        await _metrics.UpsertAsync([Row("few-api", "1", Start, "a", 5, 0, 5)], default);
        Assert.Empty(await EvaluateAsync("few-api"));

        await _metrics.UpsertAsync([Row("few-api", "1", Start, "a", 20, 0, 20)], default);
        Assert.Equal([MonitoringEventTypes.ErrorRateExceeded], (await EvaluateAsync("few-api")).Select(c => c.EventType));

        // The version stops serving: the next window has no request of it.
        _time.Now = Start + 120_000;
        var recovered = Assert.Single(await EvaluateAsync("few-api"));
        Assert.Equal((MonitoringEventTypes.ErrorRateRecovered, 0L), (recovered.EventType, recovered.Observation.Requests));
    }

    [Fact]
    public async Task Replicas_evaluating_together_record_a_crossing_once_and_clearing_a_threshold_forgets_its_states()
    {
        await WatchAsync("race-api", errorRate: 0.01, latencyMs: null);
        await _metrics.UpsertAsync([Row("race-api", "1", Start, "a", 50, 0, 25)], default);

        var rounds = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => EvaluateAsync("race-api"))));
        Assert.Equal(1, rounds.Sum(r => r.Count));
        Assert.Equal([MonitoringEventTypes.ErrorRateExceeded], await EventTypesAsync("race-api"));

        await WatchAsync("race-api", errorRate: null, latencyMs: 1000);
        Assert.Empty(await _store.ListAlertStatesAsync("race-api", default));
        Assert.Contains(await _store.ListServiceAlertThresholdsAsync(default), t => t.Deployment == "race-api");
        await WatchAsync("race-api", errorRate: null, latencyMs: null);
        Assert.DoesNotContain(await _store.ListServiceAlertThresholdsAsync(default), t => t.Deployment == "race-api");
    }

    [Fact]
    public async Task Drift_share_events_are_listed_with_the_deployments_other_alerts()
    {
        var model = "drift-alert-model";
        await _registry.CreateRegisteredModelAsync(new Core.Registry.NewRegisteredModel(model, null, [], null), new Core.Registry.RegistryWrite(1, "alice"), default);
        await _registry.CreateModelVersionAsync(new Core.Registry.NewModelVersion(model, "s3://b/m", null, null, null, [], null, null), new Core.Registry.RegistryWrite(2, "alice"), default);
        await _store.SetAlertThresholdsAsync(new AlertThresholds("mixed-api", 0.1, null, 0.5, Start, null), default);
        await _store.AddDriftRunAsync(
            new DriftRun
            {
                Deployment = "mixed-api", ModelName = model, Version = 1, WindowStartMs = 0, WindowEndMs = 1, ComputedAtMs = 2,
                Trigger = DriftTriggers.Request, Method = DriftMethod.Auto, FeaturesCompared = 1, FeaturesDrifted = 1, DriftShare = 1,
            },
            null,
            default);
        await _metrics.UpsertAsync([Row("mixed-api", "1", Start, "a", 10, 0, 10)], default);
        await EvaluateAsync("mixed-api");

        Assert.Equal([MonitoringEventTypes.DriftShareExceeded, MonitoringEventTypes.ErrorRateExceeded], await EventTypesAsync("mixed-api"));
        var page = await _store.ListAlertEventsAsync("mixed-api", 1, null, default);
        Assert.Equal(MonitoringEventTypes.ErrorRateExceeded, Assert.Single(page.Items).EventType);
        Assert.NotNull(page.NextPageToken);
        var next = await _store.ListAlertEventsAsync("mixed-api", 1, page.NextPageToken, default);
        Assert.Equal(MonitoringEventTypes.DriftShareExceeded, Assert.Single(next.Items).EventType);
        Assert.Null(next.NextPageToken);
    }

    private sealed class ManualTime(long nowMs) : TimeProvider
    {
        public long Now { get; set; } = nowMs;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(Now);
    }
}
