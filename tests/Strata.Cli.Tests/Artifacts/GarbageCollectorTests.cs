using Dapper;
using Strata.Cli.Commands;
using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Artifacts;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;
using Strata.Core.Traces;
using Strata.Storage.Traces;
using Strata.Storage.Tracking;

namespace Strata.Tests.Artifacts;

/// <summary><c>strata gc</c>'s work against a real SQLite store, a local proxy destination, a file: location and s3rver.</summary>
public sealed class GarbageCollectorTests(S3rverServer s3) : IAsyncLifetime, IClassFixture<S3rverServer>
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private const long Day = 24L * 3600 * 1000;
    private const long Now = 100 * Day;

    private readonly string _dir = Path.Join(Path.GetTempPath(), "strata-gc-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase _database = null!;
    private TrackingStore _store = null!;
    private LocalArtifactStore _proxy = null!;
    private ArtifactStoreFactory _factory = null!;
    private string _bucket = "";

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _database = await SqliteDatabase.OpenAsync(Path.Join(_dir, "strata.db"));
        await new MigrationRunner(_database).MigrateAsync(Ct);
        _store = new TrackingStore(_database);
        _proxy = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = Path.Join(_dir, "artifacts"), SyncOnWrite = false });
        _bucket = await s3.CreateBucketAsync();
        var environment = new Dictionary<string, string?>
        {
            ["MLFLOW_S3_ENDPOINT_URL"] = s3.ServiceUrl,
            ["AWS_ACCESS_KEY_ID"] = S3rverServer.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = S3rverServer.SecretKey,
        };
        _factory = new ArtifactStoreFactory(k => environment.GetValueOrDefault(k), syncLocalWrites: false);
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private GarbageCollector Collector(ITrackingPurgeStore? store = null) =>
        new(store ?? _store, new ArtifactLocationResolver(_proxy, _factory), new FakeTime(Now), TextWriter.Null);

    private async Task<string> ExperimentAsync(string? location = null) =>
        await _store.CreateExperimentAsync(new NewExperiment("e-" + Guid.NewGuid().ToString("N"), location, "mlflow-artifacts:/", [], 1), Ct);

    /// <summary>A run with a metric, a param, a tag and two artifact files.</summary>
    private async Task<Run> RunAsync(string experimentId)
    {
        var run = await _store.CreateRunAsync(new NewRun(Guid.NewGuid().ToString("N"), experimentId, "u", "r", 1, []), Ct);
        await _store.LogBatchAsync(run.Info.RunId, [new Metric("loss", 1, 1, 0)], [new KeyValue("p", "1")], [new KeyValue("t", "1")], Ct);
        using var location = new ArtifactLocationResolver(_proxy, _factory).Resolve(run.Info.ArtifactUri);
        await location.Store.UploadAsync(ArtifactPath.Join(location.Path, "model/MLmodel"), new MemoryStream([1]), Ct);
        await location.Store.UploadAsync(ArtifactPath.Join(location.Path, "x.txt"), new MemoryStream([2]), Ct);
        return run;
    }

    private async Task<bool> HasArtifactsAsync(string artifactUri)
    {
        using var location = new ArtifactLocationResolver(_proxy, _factory).Resolve(artifactUri);
        return await location.Store.ListAsync(location.Path, Ct) is { Count: > 0 };
    }

    /// <summary>Rows that mention the run in any table, to show a purge leaves nothing behind.</summary>
    private Task<long> RowsOfRunAsync(string runId) =>
        _database.ReadAsync(async (c, token) =>
        {
            long total = 0;
            foreach (var table in new[] { "runs", "metric_blocks", "latest_metrics", "params", "tags", "inputs", "input_tags", "run_model_inputs", "run_model_outputs" })
            {
                total += await c.ExecuteScalarAsync<long>(new CommandDefinition($"SELECT COUNT(*) FROM {table} WHERE run_id = @runId", new { runId }, cancellationToken: token));
            }

            return total;
        }, Ct);

    private async Task<bool> ExistsAsync(Run run) => await _store.GetRunAsync(run.Info.RunId, Ct) is not null;

    [Fact]
    public async Task Purges_deleted_runs_and_experiments_older_than_the_age_and_nothing_else()
    {
        var active = await ExperimentAsync();
        var kept = await RunAsync(active);
        var oldDeleted = await RunAsync(active);
        var newDeleted = await RunAsync(active);
        await _store.DeleteRunAsync(oldDeleted.Info.RunId, Now - 10 * Day, Ct);
        await _store.DeleteRunAsync(newDeleted.Info.RunId, Now - 1000, Ct);

        var oldExperiment = await ExperimentAsync();
        var oldExperimentRun = await RunAsync(oldExperiment);
        var model = await _store.CreateLoggedModelAsync(new NewLoggedModel("m-" + Guid.NewGuid().ToString("N"), oldExperiment, "m", null, null, null, [new("k", "v")], [], 1), Ct);
        using (var location = new ArtifactLocationResolver(_proxy, _factory).Resolve(model.Info.ArtifactUri))
        {
            await location.Store.UploadAsync(ArtifactPath.Join(location.Path, "MLmodel"), new MemoryStream([1]), Ct);
        }

        await _store.DeleteExperimentAsync(oldExperiment, Now - 10 * Day, Ct);
        var newExperiment = await ExperimentAsync();
        var newExperimentRun = await RunAsync(newExperiment);
        await _store.DeleteExperimentAsync(newExperiment, Now - 1000, Ct);

        var result = await Collector().RunAsync(new GcRequest(TimeSpan.FromDays(1), [], []), Ct);

        Assert.Equal(new[] { oldDeleted.Info.RunId, oldExperimentRun.Info.RunId }.Order(), result.PurgedRuns.Order());
        Assert.Equal([oldExperiment], result.PurgedExperiments);

        Assert.False(await ExistsAsync(oldDeleted));
        Assert.False(await HasArtifactsAsync(oldDeleted.Info.ArtifactUri));
        Assert.Equal(0, await RowsOfRunAsync(oldDeleted.Info.RunId));
        Assert.Equal(0, await RowsOfRunAsync(oldExperimentRun.Info.RunId));
        Assert.False(await ExistsAsync(oldExperimentRun));
        Assert.False(await HasArtifactsAsync(oldExperimentRun.Info.ArtifactUri));
        Assert.Null(await _store.GetExperimentAsync(oldExperiment, Ct));
        Assert.Null(await _store.GetLoggedModelAsync(model.Info.ModelId, Ct));
        Assert.False(await HasArtifactsAsync(model.Info.ArtifactUri));

        foreach (var survivor in new[] { kept, newDeleted, newExperimentRun })
        {
            Assert.True(await ExistsAsync(survivor));
            Assert.True(await HasArtifactsAsync(survivor.Info.ArtifactUri));
            Assert.True(await RowsOfRunAsync(survivor.Info.RunId) >= 5); // run, metric point, latest metric, param, tags
        }

        Assert.NotNull(await _store.GetExperimentAsync(newExperiment, Ct));

        // Without an age everything deleted goes.
        var rest = await Collector().RunAsync(new GcRequest(null, [], []), Ct);
        Assert.Equal([newExperiment], rest.PurgedExperiments);
        Assert.False(await ExistsAsync(newDeleted));
        Assert.False(await ExistsAsync(newExperimentRun));
        Assert.True(await ExistsAsync(kept));
        Assert.True(await HasArtifactsAsync(kept.Info.ArtifactUri));
    }

    [Fact]
    public async Task Named_runs_and_experiments_only_and_all_checked_before_anything_is_deleted()
    {
        var experiment = await ExperimentAsync();
        var a = await RunAsync(experiment);
        var b = await RunAsync(experiment);
        var active = await RunAsync(experiment);
        await _store.DeleteRunAsync(a.Info.RunId, Now - 1000, Ct);
        await _store.DeleteRunAsync(b.Info.RunId, Now - 1000, Ct);

        var e = await Assert.ThrowsAsync<MlflowException>(() => Collector().RunAsync(new GcRequest(null, [a.Info.RunId, active.Info.RunId], []), Ct));
        Assert.Contains(active.Info.RunId, e.Message);
        Assert.True(await ExistsAsync(a));
        Assert.True(await HasArtifactsAsync(a.Info.ArtifactUri));

        e = await Assert.ThrowsAsync<MlflowException>(() => Collector().RunAsync(new GcRequest(TimeSpan.FromDays(1), [a.Info.RunId], []), Ct));
        Assert.Contains("less than", e.Message);
        await Assert.ThrowsAsync<MlflowException>(() => Collector().RunAsync(new GcRequest(null, [], [experiment]), Ct));

        var result = await Collector().RunAsync(new GcRequest(null, [a.Info.RunId], []), Ct);
        Assert.Equal([a.Info.RunId], result.PurgedRuns);
        Assert.False(await ExistsAsync(a));
        Assert.True(await ExistsAsync(b));
        Assert.True(await HasArtifactsAsync(b.Info.ArtifactUri));
        Assert.True(await ExistsAsync(active));
    }

    [Fact]
    public async Task Artifacts_in_a_file_location_and_in_s3_are_deleted_where_they_live()
    {
        var fileExperiment = await ExperimentAsync("file://" + Path.Join(_dir, "direct"));
        var fileRun = await RunAsync(fileExperiment);
        var s3Experiment = await ExperimentAsync($"s3://{_bucket}/exp");
        var s3Run = await RunAsync(s3Experiment);
        var s3Neighbour = await RunAsync(s3Experiment);
        Assert.StartsWith("s3://", s3Run.Info.ArtifactUri);
        Assert.True(await HasArtifactsAsync(s3Run.Info.ArtifactUri));
        await _store.DeleteRunAsync(fileRun.Info.RunId, Now - 1000, Ct);
        await _store.DeleteRunAsync(s3Run.Info.RunId, Now - 1000, Ct);

        await Collector().RunAsync(new GcRequest(null, [], []), Ct);

        Assert.False(Directory.Exists(new Uri(fileRun.Info.ArtifactUri).LocalPath));
        Assert.True(Directory.Exists(Path.Join(_dir, "direct")));
        Assert.False(await HasArtifactsAsync(s3Run.Info.ArtifactUri));
        Assert.True(await HasArtifactsAsync(s3Neighbour.Info.ArtifactUri));
    }

    [Fact]
    public async Task A_crash_between_artifacts_and_rows_is_finished_by_a_rerun()
    {
        var experiment = await ExperimentAsync();
        var run = await RunAsync(experiment);
        await _store.DeleteRunAsync(run.Info.RunId, Now - 1000, Ct);

        await Assert.ThrowsAsync<IOException>(() => Collector(new CrashingPurge(_store)).RunAsync(new GcRequest(null, [], []), Ct));
        Assert.False(await HasArtifactsAsync(run.Info.ArtifactUri));
        Assert.True(await ExistsAsync(run)); // rows still there, still marked deleted

        var result = await Collector().RunAsync(new GcRequest(null, [], []), Ct);
        Assert.Equal([run.Info.RunId], result.PurgedRuns);
        Assert.False(await ExistsAsync(run));
    }

    [Fact]
    public async Task A_run_whose_artifact_uri_is_a_store_root_is_refused()
    {
        var other = await RunAsync(await ExperimentAsync());
        var rootRun = new DeletedRun("0123456789abcdef0123456789abcdef", "1", "mlflow-artifacts:/", 0);
        var e = await Assert.ThrowsAsync<MlflowException>(() => Collector(new FixedPurge(_store, rootRun)).RunAsync(new GcRequest(null, [], []), Ct));
        Assert.Contains("root of an artifact store", e.Message);
        Assert.True(await HasArtifactsAsync(other.Info.ArtifactUri));
    }

    private GarbageCollector TraceCollector() =>
        new(_store, new ArtifactLocationResolver(_proxy, _factory), new FakeTime(Now), TextWriter.Null, new TraceStore(_database));

    /// <summary>A trace that started at <paramref name="startMs"/>, with its span data uploaded where the client puts it.</summary>
    private async Task<string> TraceAsync(string experimentId, long startMs)
    {
        var id = "tr-" + Guid.NewGuid().ToString("N");
        var info = await new TraceStore(_database).StartTraceAsync(
            new NewTrace(id, experimentId, null, startMs, 5, TraceState.OK, null, null, [], [], []), startMs, Ct);
        var location = info.Tag(TraceKeys.ArtifactLocation)!;
        await _proxy.UploadAsync(location["mlflow-artifacts:/".Length..] + "/traces.json", new MemoryStream("{\"spans\": []}"u8.ToArray()), Ct);
        return id;
    }

    private bool SpanDataExists(string experimentId, string traceId) =>
        File.Exists(Path.Join(_dir, "artifacts", experimentId, "traces", traceId, "artifacts", "traces.json"));

    [Fact]
    public async Task Older_than_deletes_traces_that_started_before_the_cutoff_with_their_span_data()
    {
        var experimentId = await ExperimentAsync();
        var old = await TraceAsync(experimentId, Now - 10 * Day);
        var recent = await TraceAsync(experimentId, Now - 1000);

        var result = await TraceCollector().RunAsync(new GcRequest(TimeSpan.FromDays(7), [], []), Ct);

        Assert.Equal(1, result.PurgedTraces);
        var traces = new TraceStore(_database);
        Assert.Null(await traces.GetTraceInfoAsync(old, Ct));
        Assert.NotNull(await traces.GetTraceInfoAsync(recent, Ct));
        Assert.False(SpanDataExists(experimentId, old));
        Assert.True(SpanDataExists(experimentId, recent));

        // Without an age nothing is old enough: traces stay.
        Assert.Equal(0, (await TraceCollector().RunAsync(new GcRequest(null, [], []), Ct)).PurgedTraces);
        Assert.NotNull(await traces.GetTraceInfoAsync(recent, Ct));
    }

    [Fact]
    public async Task A_purged_experiment_takes_its_traces_and_their_span_data()
    {
        var experimentId = await ExperimentAsync();
        var trace = await TraceAsync(experimentId, Now - 1000);
        await _store.DeleteExperimentAsync(experimentId, Now - 1000, Ct);

        var result = await TraceCollector().RunAsync(new GcRequest(null, [], [experimentId]), Ct);

        Assert.Equal([experimentId], result.PurgedExperiments);
        Assert.Equal(1, result.PurgedTraces);
        Assert.Null(await new TraceStore(_database).GetTraceInfoAsync(trace, Ct));
        Assert.False(SpanDataExists(experimentId, trace));
    }

    private sealed class FakeTime(long nowMs) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(nowMs);
    }

    /// <summary>Reports one given deleted run (one the store could not hold) and nothing else.</summary>
    private sealed class FixedPurge(ITrackingPurgeStore inner, DeletedRun run) : ITrackingPurgeStore
    {
        public Task<IReadOnlyList<DeletedRun>> GetDeletedRunsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<DeletedRun>>([run]);
        public Task<IReadOnlyList<DeletedExperiment>> GetDeletedExperimentsAsync(CancellationToken ct) => Task.FromResult<IReadOnlyList<DeletedExperiment>>([]);
        public Task<IReadOnlyList<DeletedRun>> GetRunsOfExperimentAsync(string experimentId, CancellationToken ct) => inner.GetRunsOfExperimentAsync(experimentId, ct);
        public Task<IReadOnlyList<PurgeableLoggedModel>> GetLoggedModelsOfExperimentAsync(string experimentId, CancellationToken ct) => inner.GetLoggedModelsOfExperimentAsync(experimentId, ct);
        public Task PurgeRunAsync(string runId, CancellationToken ct) => inner.PurgeRunAsync(runId, ct);
        public Task PurgeExperimentAsync(string experimentId, CancellationToken ct) => inner.PurgeExperimentAsync(experimentId, ct);
    }

    /// <summary>Dies (like a killed process) right after the first run's artifacts are gone.</summary>
    private sealed class CrashingPurge(ITrackingPurgeStore inner) : ITrackingPurgeStore
    {
        public Task<IReadOnlyList<DeletedRun>> GetDeletedRunsAsync(CancellationToken ct) => inner.GetDeletedRunsAsync(ct);
        public Task<IReadOnlyList<DeletedExperiment>> GetDeletedExperimentsAsync(CancellationToken ct) => inner.GetDeletedExperimentsAsync(ct);
        public Task<IReadOnlyList<DeletedRun>> GetRunsOfExperimentAsync(string experimentId, CancellationToken ct) => inner.GetRunsOfExperimentAsync(experimentId, ct);
        public Task<IReadOnlyList<PurgeableLoggedModel>> GetLoggedModelsOfExperimentAsync(string experimentId, CancellationToken ct) => inner.GetLoggedModelsOfExperimentAsync(experimentId, ct);
        public Task PurgeRunAsync(string runId, CancellationToken ct) => throw new IOException("killed");
        public Task PurgeExperimentAsync(string experimentId, CancellationToken ct) => inner.PurgeExperimentAsync(experimentId, ct);
    }
}
