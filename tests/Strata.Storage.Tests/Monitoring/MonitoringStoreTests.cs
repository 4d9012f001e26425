using Strata.Core.Errors;
using Strata.Core.Monitoring;
using Strata.Core.Registry;
using Strata.Storage.Monitoring;
using Strata.Storage.Registry;
using Strata.Storage.Serving;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Tracking;

namespace Strata.Storage.Tests.Monitoring;

public sealed class SqliteMonitoringStoreTests(SqliteDatabaseFixture fixture) : MonitoringStoreTests<SqliteDatabaseFixture>(fixture);

[Collection(PostgresCollection.Name)]
public sealed class PostgresMonitoringStoreTests(PostgresDatabaseFixture fixture) : MonitoringStoreTests<PostgresDatabaseFixture>(fixture);

/// <summary>Profiles, drift runs, alert thresholds (with their registry events) and the prediction window on both dialects.</summary>
public abstract class MonitoringStoreTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : class, IDatabaseFixture
{
    private readonly MonitoringStore _store = new(fixture.Database);
    private readonly RegistryStore _registry = new(fixture.Database);

    private async Task<string> ModelWithVersionsAsync(string name, int versions)
    {
        await _registry.CreateRegisteredModelAsync(new NewRegisteredModel(name, null, [], null), new RegistryWrite(1, "alice"), default);
        for (var i = 0; i < versions; i++)
        {
            await _registry.CreateModelVersionAsync(new NewModelVersion(name, "s3://b/m", null, null, null, [], null, null), new RegistryWrite(2, "alice"), default);
        }

        return name;
    }

    private static ReferenceProfile Profile(string source)
    {
        var table = new FeatureTable();
        CsvTableReader.Read(new StringReader("x,c\n1,a\n2,b\n3,a\n"), table);
        return ProfileBuilder.Build(table, "c", source);
    }

    private static DriftRun Run(string deployment, string model, long version, long end, double share, string trigger = DriftTriggers.Request) => new()
    {
        Deployment = deployment,
        ModelName = model,
        Version = version,
        WindowStartMs = end - 1000,
        WindowEndMs = end,
        ComputedAtMs = end + 5,
        Trigger = trigger,
        Method = DriftMethod.Auto,
        ReferenceRows = 3,
        CurrentRows = 10,
        FeaturesCompared = 2,
        FeaturesDrifted = (int)Math.Round(share * 2),
        DriftShare = share,
        Features =
        [
            new FeatureDrift("x", false, FeatureKind.Numeric, DriftMethod.KolmogorovSmirnov, 0.01, 0.05, true, 10, 0),
            new FeatureDrift("c", true, FeatureKind.Categorical, DriftMethod.ChiSquared, 0.5, 0.05, share >= 1, 9, 1),
        ],
    };

    [Fact]
    public async Task A_profile_is_stored_with_its_version_replaced_and_gone_with_it()
    {
        var model = await ModelWithVersionsAsync("profiled", 2);
        await _store.PutProfileAsync(model, 1, Profile("first"), 100, default);
        await _store.PutProfileAsync(model, 1, Profile("second"), 200, default);
        await _store.PutProfileAsync(model, 2, Profile("other"), 300, default);

        var stored = await _store.GetProfileAsync(model, 1, default);
        Assert.NotNull(stored);
        Assert.Equal((200L, "second", 3L, "c"), (stored.CreatedAtMs, stored.Profile.Source, stored.Profile.RowCount, stored.Profile.PredictionColumn));
        var x = stored.Profile.Feature("x")!;
        Assert.Equal(Profile("x").Feature("x")!.Sample, x.Sample);
        Assert.Equal(2.0, x.Mean);
        Assert.Equal(new CategoryCount("a", 2), stored.Profile.Feature("c")!.TopCategories![0]);
        Assert.Contains((model, 2L), await _store.ListProfiledVersionsAsync(default));

        // A deleted version's profile is no longer read; deleting the model removes the rows.
        await _registry.DeleteModelVersionAsync(model, 2, new RegistryWrite(3, null), default);
        Assert.Null(await _store.GetProfileAsync(model, 2, default));
        Assert.DoesNotContain((model, 2L), await _store.ListProfiledVersionsAsync(default));
        await _registry.DeleteRegisteredModelAsync(model, new RegistryWrite(4, null), default);
        Assert.Null(await _store.GetProfileAsync(model, 1, default));
    }

    [Fact]
    public async Task A_profile_of_an_unknown_version_is_refused()
    {
        var model = await ModelWithVersionsAsync("profiled-missing", 1);
        var e = await Assert.ThrowsAsync<MlflowException>(() => _store.PutProfileAsync(model, 7, Profile("x"), 1, default));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, e.Code);
    }

    [Fact]
    public async Task Drift_runs_are_kept_with_their_features_and_read_by_deployment_version_and_window()
    {
        var model = await ModelWithVersionsAsync("drifting", 2);
        var first = await _store.AddDriftRunAsync(Run("api", model, 1, 10_000, 0.5), null, default);
        await _store.AddDriftRunAsync(Run("api", model, 2, 20_000, 1.0), null, default);
        await _store.AddDriftRunAsync(Run("other-api", model, 1, 30_000, 0), null, default);

        Assert.NotNull(first);
        var all = await _store.ListDriftRunsAsync(new DriftRunQuery { Deployment = "api" }, default);
        Assert.Equal([20_000L, 10_000L], all.Select(r => r.WindowEndMs));
        var one = all[1];
        Assert.Equal((first.Id, "api", model, 1L, 0.5, 2, 1), (one.Id, one.Deployment, one.ModelName, one.Version, one.DriftShare, one.FeaturesCompared, one.FeaturesDrifted));
        Assert.Equal(Run("api", model, 1, 10_000, 0.5).Features.OrderBy(f => f.IsPrediction), one.Features);

        Assert.Equal([1L], (await _store.ListDriftRunsAsync(new DriftRunQuery { Deployment = "api", Version = 1 }, default)).Select(r => r.Version));
        Assert.Equal([20_000L], (await _store.ListDriftRunsAsync(new DriftRunQuery { Deployment = "api", FromMs = 15_000, ToMs = 25_000 }, default)).Select(r => r.WindowEndMs));
        Assert.Equal(3, (await _store.ListDriftRunsAsync(new DriftRunQuery { ModelName = model }, default)).Count);
        Assert.Single(await _store.ListDriftRunsAsync(new DriftRunQuery { ModelName = model, MaxResults = 1 }, default));
    }

    [Fact]
    public async Task A_scheduled_window_is_stored_once()
    {
        var model = await ModelWithVersionsAsync("scheduled", 1);
        Assert.NotNull(await _store.AddDriftRunAsync(Run("sched", model, 1, 5_000, 0, DriftTriggers.Schedule), null, default));
        Assert.Null(await _store.AddDriftRunAsync(Run("sched", model, 1, 5_000, 0, DriftTriggers.Schedule), null, default));
        // On-demand runs of the same window are all kept.
        Assert.NotNull(await _store.AddDriftRunAsync(Run("sched", model, 1, 5_000, 0), null, default));
        Assert.NotNull(await _store.AddDriftRunAsync(Run("sched", model, 1, 5_000, 0), null, default));
        Assert.Equal(3, (await _store.ListDriftRunsAsync(new DriftRunQuery { Deployment = "sched" }, default)).Count);
    }

    [Fact]
    public async Task Crossing_the_drift_share_threshold_records_one_event_per_crossing()
    {
        var model = await ModelWithVersionsAsync("alerting", 1);
        var set = await _store.SetAlertThresholdsAsync(new AlertThresholds("alert-api", 0.01, 250, 0.5, 10, "bob"), default);
        Assert.Equal(new AlertThresholds("alert-api", 0.01, 250, 0.5, 10, "bob"), set);

        await _store.AddDriftRunAsync(Run("alert-api", model, 1, 1_000, 0), "bob", default);
        await _store.AddDriftRunAsync(Run("alert-api", model, 1, 2_000, 0.5), "bob", default);
        await _store.AddDriftRunAsync(Run("alert-api", model, 1, 3_000, 1.0), "bob", default);
        Assert.True((await _store.GetAlertThresholdsAsync("alert-api", default))!.DriftAlerting);
        await _store.AddDriftRunAsync(Run("alert-api", model, 1, 4_000, 0), null, default);
        // No threshold for this deployment: no event.
        await _store.AddDriftRunAsync(Run("quiet-api", model, 1, 5_000, 1.0), null, default);

        var events = (await _registry.ListEventsAsync(model, 100, null, default)).Items
            .Where(e => e.EventType.StartsWith("deployment.", StringComparison.Ordinal)).ToList();
        Assert.Equal([MonitoringEventTypes.DriftShareExceeded, MonitoringEventTypes.DriftShareRecovered], events.Select(e => e.EventType));
        Assert.Equal((2_005L, "bob", 1L), (events[0].Timestamp, events[0].UserId, events[0].Version));
        using var details = System.Text.Json.JsonDocument.Parse(events[0].After!);
        Assert.Equal("alert-api", details.RootElement.GetProperty("deployment").GetString());
        Assert.Equal(0.5, details.RootElement.GetProperty("drift_share").GetDouble());
        Assert.Equal("x", details.RootElement.GetProperty("drifted_features")[0].GetString());

        // Setting thresholds again keeps the alert state; a missing one is null.
        var updated = await _store.SetAlertThresholdsAsync(new AlertThresholds("alert-api", null, null, 0.9, 20, null), default);
        Assert.Equal((null, null, 0.9, false), (updated.ErrorRate, updated.LatencyP99Ms, updated.DriftShare, updated.DriftAlerting));
        Assert.Null(await _store.GetAlertThresholdsAsync("no-such-api", default));
    }

    [Fact]
    public async Task Cursors_only_move_forward()
    {
        Assert.Equal(0, await _store.GetCursorAsync("c1", default));
        await _store.SetCursorAsync("c1", 10, default);
        await _store.SetCursorAsync("c1", 5, default);
        Assert.Equal(10, await _store.GetCursorAsync("c1", default));
    }

    [Fact]
    public async Task The_prediction_window_reads_the_successful_entries_of_one_version_in_the_window()
    {
        var log = new PredictionLogStore(fixture.Database);
        PredictionLogRecord Entry(string version, long ts, int status, string inputs, string? outputs, string protocol = "mlflow") =>
            new($"r-{version}-{ts}", "windowed", version, ts, 10, status, protocol, inputs, outputs, status == 200 ? null : "bad");
        await log.InsertAsync(
        [
            Entry("1", 1_000, 200, """{"dataframe_split": {"columns": ["x", "c"], "data": [[1, "a"], [2, "b"]]}}""", """{"predictions": ["p", "q"]}"""),
            Entry("1", 1_500, 400, """{"dataframe_split": {"columns": ["x"], "data": [[99]]}}""", null),
            Entry("2", 1_600, 200, """{"dataframe_split": {"columns": ["x"], "data": [[50]]}}""", """{"predictions": ["z"]}"""),
        ], default);
        await log.InsertAsync(
        [
            Entry("1", 2_000, 200, "x,c\n3,\"a \"\"quoted\"\"\"\n", """{"predictions": ["p"]}"""),
            Entry("1", 9_000, 200, """{"dataframe_split": {"columns": ["x"], "data": [[77]]}}""", """{"predictions": ["late"]}"""),
            Entry("1", 2_500, 200, """{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [4]}]}""", """{"outputs": [{"name": "prediction", "shape": [1], "datatype": "BYTES", "data": ["q"]}]}""", "v2"),
        ], default);

        var inputs = new FeatureTable();
        var outputs = new FeatureTable();
        var read = await new PredictionWindowReader(fixture.Database).ReadWindowAsync("windowed", "1", 1_000, 3_000, inputs, outputs, default);

        Assert.Equal(3, read);
        Assert.Equal((4L, 4L), (inputs.RowCount, outputs.RowCount));
        Assert.Equal([1, 2, 3, 4], inputs.Find("x")!.SortedNumbers().ToArray());
        Assert.Equal(1, inputs.Find("c")!.Missing);
        Assert.Equal(1, inputs.Find("c")!.Categories["a \"quoted\""]);
        Assert.Equal(2, outputs.Find("prediction")!.Categories["p"]);
    }

    [Fact]
    public async Task Whole_segments_read_again_come_from_what_the_reader_kept_and_read_the_same()
    {
        var log = new PredictionLogStore(fixture.Database);
        PredictionLogRecord Entry(long ts, int status, double x, string c) => new(
            $"k-{ts}", "kept", "1", ts, 10, status, "mlflow",
            "{\"dataframe_split\": {\"columns\": [\"x\", \"c\"], \"data\": [[" + x.ToString(System.Globalization.CultureInfo.InvariantCulture) + ", \"" + c + "\"]]}}",
            "{\"predictions\": [" + (x * 2).ToString(System.Globalization.CultureInfo.InvariantCulture) + "]}", null);

        // Two segments: [1000, 1002] and [2000, 2002], one failed entry in each.
        await log.InsertAsync([Entry(1_000, 200, 1, "a"), Entry(1_001, 500, 99, "z"), Entry(1_002, 200, 2, "b")], default);
        await log.InsertAsync([Entry(2_000, 200, 3, "a"), Entry(2_001, 200, 4, "a"), Entry(2_002, 503, 99, "z")], default);

        static async Task<(long Read, double[] X, double[] Predictions, long A)> Read(PredictionWindowReader reader, long from, long to)
        {
            var (inputs, outputs) = (new FeatureTable(), new FeatureTable());
            var read = await reader.ReadWindowAsync("kept", "1", from, to, inputs, outputs, default);
            Assert.Equal(inputs.RowCount, outputs.RowCount);
            return (read, inputs.Find("x")?.SortedNumbers().ToArray() ?? [], outputs.Find("prediction")?.SortedNumbers().ToArray() ?? [],
                inputs.Find("c")?.Categories.GetValueOrDefault("a") ?? 0);
        }

        var reader = new PredictionWindowReader(fixture.Database);
        var first = await Read(reader, 0, 10_000);
        Assert.Equal((4L, 3L), (first.Read, first.A));
        Assert.Equal([1, 2, 3, 4], first.X);
        Assert.Equal([2, 4, 6, 8], first.Predictions);
        var kept = reader.CachedBytes;
        Assert.True(kept > 0);

        // The same window again: both segments kept, nothing more parsed, the same values.
        var again = await Read(reader, 0, 10_000);
        Assert.Equal((first.Read, first.A), (again.Read, again.A));
        Assert.Equal(first.X, again.X);
        Assert.Equal(first.Predictions, again.Predictions);
        Assert.Equal(kept, reader.CachedBytes);

        // A window that cuts the second segment: the first comes from what was kept, the second is parsed for its
        // entries inside the window only.
        var cut = await Read(reader, 0, 2_000);
        Assert.Equal((3L, 2L), (cut.Read, cut.A));
        Assert.Equal([1, 2, 3], cut.X);

        // Keeping nothing reads the same.
        var none = new PredictionWindowReader(fixture.Database, cacheBytes: 0);
        var uncached = await Read(none, 0, 10_000);
        Assert.Equal((first.Read, first.A), (uncached.Read, uncached.A));
        Assert.Equal(first.X, uncached.X);
        Assert.Equal(first.Predictions, uncached.Predictions);
        Assert.Equal(0, none.CachedBytes);
    }
}
