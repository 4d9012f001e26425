using Dapper;
using Strata.Core.Errors;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Storage.Tests.Postgres;
using Strata.Storage.Tests.Registry;
using Strata.Storage.Tests.Tracking;
using Strata.Storage.Traces;

namespace Strata.Storage.Tests.Traces;

public sealed class SqliteTraceStoreTests(SqliteDatabaseFixture fixture) : TraceStoreTests<SqliteDatabaseFixture>(fixture)
{
    [Fact]
    public async Task Default_search_walks_the_experiment_time_index_without_sorting()
    {
        var rows = await Fixture.Database.ReadAsync(async (c, ct) => (await c.QueryAsync(new CommandDefinition(
            "EXPLAIN QUERY PLAN SELECT t.trace_id FROM trace_info t WHERE t.experiment_id = 1 " +
            "AND t.timestamp_ms <= 5 AND ((t.timestamp_ms < 5) OR (t.timestamp_ms = 5 AND t.trace_id > 'x')) ORDER BY t.timestamp_ms DESC, t.trace_id ASC LIMIT 10",
            cancellationToken: ct))).ToList(), Ct);
        var plan = rows.Select(r => (string)((IDictionary<string, object>)r)["detail"]).ToList();
        Assert.Contains(plan, p => p.Contains("ix_trace_info_experiment_time", StringComparison.Ordinal));
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresTraceStoreTests(PostgresDatabaseFixture fixture) : TraceStoreTests<PostgresDatabaseFixture>(fixture);

/// <summary>The trace store's rules and search, on SQLite and (subclass) PostgreSQL. Each test uses its own experiment.</summary>
public abstract class TraceStoreTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    protected TraceStore Traces { get; } = new(fixture.Database);

    private TraceService Service => new(Traces, Store, new SteppingTimeProvider());

    private static string NewTraceId() => "tr-" + Guid.NewGuid().ToString("N");

    private static NewTrace Trace(string id, string experimentId, long time, long? duration = 100, TraceState state = TraceState.OK,
        IReadOnlyList<KeyValue>? tags = null, IReadOnlyList<KeyValue>? metadata = null, IReadOnlyList<NewAssessment>? assessments = null) =>
        new(id, experimentId, null, time, duration, state, "{\"q\": 1}", "\"a\"", metadata ?? [], tags ?? [], assessments ?? []);

    private static NewAssessment Feedback(string name, string valueJson, string? overrides = null) =>
        new(null, name, null, new AssessmentSource("HUMAN", "bob"), 10, null, AssessmentKind.Feedback, valueJson, null, null, "because", [new("k", "v")], overrides, true);

    private static readonly IReadOnlyList<KeyValue> NoPairs = [];

    private static void AssertSame(Assessment expected, Assessment actual)
    {
        Assert.Equal(expected with { Metadata = NoPairs }, actual with { Metadata = NoPairs });
        Assert.Equal(expected.Metadata, actual.Metadata);
    }

    private async Task<List<string>> SearchAsync(string experimentId, string? filter, params string[] orderBy)
    {
        var page = await Service.SearchTracesAsync([experimentId], filter, orderBy, 100, null, Ct);
        return page.Items.Select(t => t.TraceId).ToList();
    }

    [Fact]
    public async Task Start_and_get_round_trip_every_field()
    {
        var experimentId = await CreateExperimentAsync();
        var id = NewTraceId();
        var created = await Traces.StartTraceAsync(
            Trace(id, experimentId, 1234, tags: [new("z", "1"), new("a", "2")], metadata: [new("mlflow.sourceRun", "r")], assessments: [Feedback("f", "true")]), 99, Ct);
        var fetched = await Traces.GetTraceInfoAsync(id, Ct);

        Assert.NotNull(fetched);
        Assert.Equal(created with { Assessments = [], Tags = NoPairs, Metadata = NoPairs }, fetched with { Assessments = [], Tags = NoPairs, Metadata = NoPairs });
        Assert.Equal(created.Tags, fetched.Tags);
        Assert.Equal(["a", "mlflow.artifactLocation", "z"], fetched.Tags.Select(t => t.Key));
        Assert.Equal($"{Root}{experimentId}/traces/{id}/artifacts", fetched.Tag(TraceKeys.ArtifactLocation));
        Assert.Equal(created.Metadata, fetched.Metadata);
        var assessment = Assert.Single(fetched.Assessments);
        AssertSame(Assert.Single(created.Assessments), assessment);
        Assert.Equal("true", assessment.ValueJson);
        Assert.Equal([new KeyValue("k", "v")], assessment.Metadata);
        Assert.Null(await Traces.GetTraceInfoAsync("tr-missing", Ct));
    }

    [Fact]
    public async Task Start_checks_the_experiment()
    {
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST,
            (await Assert.ThrowsAsync<MlflowException>(() => Traces.StartTraceAsync(Trace(NewTraceId(), "123456789", 1), 1, Ct))).Code);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST,
            (await Assert.ThrowsAsync<MlflowException>(() => Traces.StartTraceAsync(Trace(NewTraceId(), "not-a-number", 1), 1, Ct))).Code);
        var experimentId = await CreateExperimentAsync();
        await Store.DeleteExperimentAsync(experimentId, 5, Ct);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE,
            (await Assert.ThrowsAsync<MlflowException>(() => Traces.StartTraceAsync(Trace(NewTraceId(), experimentId, 1), 1, Ct))).Code);
    }

    [Fact]
    public async Task Search_filters_and_orders_in_the_database()
    {
        var experimentId = await CreateExperimentAsync();
        var other = await CreateExperimentAsync();
        var a = NewTraceId();
        var b = NewTraceId();
        var c = NewTraceId();
        await Traces.StartTraceAsync(Trace(a, experimentId, 100, 50, tags: [new("mlflow.traceName", "chat"), new("env", "prod")], metadata: [new("mlflow.sourceRun", "r1")]), 1, Ct);
        await Traces.StartTraceAsync(Trace(b, experimentId, 200, null, TraceState.ERROR, tags: [new("mlflow.traceName", "chat")], metadata: [new("mlflow.sourceRun", "r2")]), 1, Ct);
        await Traces.StartTraceAsync(Trace(c, experimentId, 300, 10, tags: [new("env", "dev")]), 1, Ct);
        await Traces.StartTraceAsync(Trace(NewTraceId(), other, 400, tags: [new("env", "prod")]), 1, Ct);

        Assert.Equal([c, b, a], await SearchAsync(experimentId, null));
        Assert.Equal([a], await SearchAsync(experimentId, "tags.env = 'prod'"));
        Assert.Equal([c], await SearchAsync(experimentId, "tags.env != 'prod'"));
        Assert.Equal([b, a], await SearchAsync(experimentId, "name = 'chat'"));
        Assert.Equal([b], await SearchAsync(experimentId, "status = 'ERROR'"));
        Assert.Equal([c, a], await SearchAsync(experimentId, "status IN ('OK')"));
        Assert.Equal([b], await SearchAsync(experimentId, "status NOT IN ('OK')"));
        Assert.Equal([c, b], await SearchAsync(experimentId, "timestamp_ms >= 200"));
        Assert.Equal([c], await SearchAsync(experimentId, "execution_time_ms < 50"));
        Assert.Equal([a], await SearchAsync(experimentId, "metadata.`mlflow.sourceRun` = 'r1'"));
        Assert.Equal([b], await SearchAsync(experimentId, "run_id = 'r2'"));
        Assert.Equal([a], await SearchAsync(experimentId, $"request_id IN ('{a}', 'tr-none')"));

        Assert.Equal([a, b, c], await SearchAsync(experimentId, null, "timestamp_ms ASC"));
        // Traces without a duration or without the ordered tag sort last either way.
        Assert.Equal([a, c, b], await SearchAsync(experimentId, null, "execution_time_ms DESC"));
        Assert.Equal([c, a, b], await SearchAsync(experimentId, null, "execution_time_ms ASC"));
        Assert.Equal([c, a, b], await SearchAsync(experimentId, null, "tags.env ASC"));
        Assert.Equal([a, b, c], await SearchAsync(experimentId, null, "run_id ASC"));
        Assert.Equal([b, c, a], await SearchAsync(experimentId, null, "status ASC", "timestamp_ms DESC"));

        var both = await Service.SearchTracesAsync([experimentId, other], "tags.env = 'prod'", [], 10, null, Ct);
        Assert.Equal(2, both.Items.Count);
        Assert.Empty((await Service.SearchTracesAsync(["nope"], null, [], 10, null, Ct)).Items);
    }

    [Theory]
    [InlineData("timestamp_ms DESC")]
    [InlineData("timestamp_ms ASC")]
    [InlineData("tags.group ASC")]
    [InlineData("execution_time_ms DESC")]
    [InlineData("execution_time_ms ASC")]
    public async Task Keyset_pages_cover_every_trace_once_in_order(string orderBy)
    {
        var experimentId = await CreateExperimentAsync();
        for (var i = 0; i < 23; i++)
        {
            // Repeated times, durations and tag values force the tie-breaks; some traces lack the tag or duration.
            var tags = i % 4 == 0 ? [] : new List<KeyValue> { new("group", "g" + (i % 3)) };
            await Traces.StartTraceAsync(Trace(NewTraceId(), experimentId, 1000 + (i % 5), i % 6 == 0 ? null : i % 4, tags: tags), 1, Ct);
        }

        var all = await SearchAsync(experimentId, null, orderBy);
        var paged = new List<string>();
        string? token = null;
        do
        {
            var page = await Service.SearchTracesAsync([experimentId], null, [orderBy], 4, token, Ct);
            paged.AddRange(page.Items.Select(t => t.TraceId));
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(23, all.Count);
        Assert.Equal(all, paged);
        var wrongQuery = await Service.SearchTracesAsync([experimentId], null, [orderBy], 4, null, Ct);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(
            () => Service.SearchTracesAsync([experimentId], "tags.group = 'g1'", [orderBy], 4, wrongQuery.NextPageToken, Ct))).Code);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Execution_time_order_is_MLflows_with_running_traces_last_page_by_page(bool ascending)
    {
        var experimentId = await CreateExperimentAsync();
        var traces = new List<(string Id, long Time, long? Duration)>();
        for (var i = 0; i < 30; i++)
        {
            // Ties on duration and on start time; running traces (no duration); a negative duration a client sent.
            long? duration = i % 7 == 0 ? null : i == 5 ? -3 : i % 4 * 10;
            var trace = (NewTraceId(), 500 + (i % 3), duration);
            traces.Add(trace);
            await Traces.StartTraceAsync(Trace(trace.Item1, experimentId, trace.Item2, duration, duration is null ? TraceState.IN_PROGRESS : TraceState.OK), 1, Ct);
        }

        // MLflow: duration in the asked direction with missing ones last, then start time newest first, then trace id.
        var withDuration = traces.Where(t => t.Duration is not null);
        var expected = (ascending ? withDuration.OrderBy(t => t.Duration) : withDuration.OrderByDescending(t => t.Duration))
            .ThenByDescending(t => t.Time).ThenBy(t => t.Id, StringComparer.Ordinal)
            .Concat(traces.Where(t => t.Duration is null).OrderByDescending(t => t.Time).ThenBy(t => t.Id, StringComparer.Ordinal))
            .Select(t => t.Id).ToList();

        var orderBy = ascending ? "execution_time_ms ASC" : "attributes.execution_time_ms DESC";
        var paged = new List<string>();
        string? token = null;
        do
        {
            var page = await Service.SearchTracesAsync([experimentId], null, [orderBy], 7, token, Ct);
            paged.AddRange(page.Items.Select(t => t.TraceId));
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(expected, paged);
    }

    [Fact]
    public async Task Filter_correlation_counts_both_filters_over_the_base_population()
    {
        var experimentId = await CreateExperimentAsync();
        var other = await CreateExperimentAsync();
        for (var i = 0; i < 20; i++)
        {
            // env=prod on even traces, ERROR on every 4th (so always prod), a later half by time.
            await Traces.StartTraceAsync(Trace(NewTraceId(), experimentId, 100 + i, 10, i % 4 == 0 ? TraceState.ERROR : TraceState.OK,
                tags: [new("env", i % 2 == 0 ? "prod" : "dev")]), 1, Ct);
        }

        await Traces.StartTraceAsync(Trace(NewTraceId(), other, 1, 10, TraceState.ERROR, tags: [new("env", "prod")]), 1, Ct);

        var all = await Service.CalculateFilterCorrelationAsync([experimentId], "tags.env = 'prod'", "status = 'ERROR'", null, Ct);
        Assert.Equal(new TraceCorrelationCounts(20, 10, 5, 5), all.Counts);
        Assert.InRange(all.Npmi, 0.3, 1.0);

        var late = await Service.CalculateFilterCorrelationAsync([experimentId], "tags.env = 'prod'", "status = 'ERROR'", "timestamp_ms >= 110", Ct);
        Assert.Equal(new TraceCorrelationCounts(10, 5, 2, 2), late.Counts);

        var never = await Service.CalculateFilterCorrelationAsync([experimentId, other], "tags.env = 'dev'", "status = 'ERROR'", null, Ct);
        Assert.Equal(new TraceCorrelationCounts(21, 10, 6, 0), never.Counts);
        Assert.Equal(-1.0, never.Npmi);

        var none = await Service.CalculateFilterCorrelationAsync(["nope"], "tags.env = 'dev'", "status = 'ERROR'", null, Ct);
        Assert.Equal(new TraceCorrelationCounts(0, 0, 0, 0), none.Counts);
        Assert.True(double.IsNaN(none.Npmi));

        var bad = await Assert.ThrowsAsync<MlflowException>(() => Service.CalculateFilterCorrelationAsync([experimentId], "tags.env = ", "status = 'ERROR'", null, Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, bad.Code);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(
            () => Service.CalculateFilterCorrelationAsync([experimentId], "", "status = 'ERROR'", null, Ct))).Code);
    }

    [Fact]
    public async Task Tags_set_and_delete()
    {
        var experimentId = await CreateExperimentAsync();
        var id = NewTraceId();
        await Traces.StartTraceAsync(Trace(id, experimentId, 1), 1, Ct);
        await Traces.SetTraceTagAsync(id, new KeyValue("k", "1"), Ct);
        await Traces.SetTraceTagAsync(id, new KeyValue("k", "2"), Ct);
        Assert.Equal("2", (await Traces.GetTraceInfoAsync(id, Ct))!.Tag("k"));
        await Traces.DeleteTraceTagAsync(id, "k", Ct);
        Assert.Null((await Traces.GetTraceInfoAsync(id, Ct))!.Tag("k"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => Traces.DeleteTraceTagAsync(id, "k", Ct))).Code);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => Traces.SetTraceTagAsync("tr-x", new("k", "v"), Ct))).Code);
    }

    [Fact]
    public async Task Delete_by_age_takes_the_oldest_first_and_children_go_with_the_trace()
    {
        var experimentId = await CreateExperimentAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(NewTraceId());
            await Traces.StartTraceAsync(Trace(ids[i], experimentId, 10 * (i + 1), tags: [new("t", "v")], assessments: [Feedback("f", "1")]), 1, Ct);
        }

        var deleted = await Traces.DeleteTracesAsync(experimentId, 40, 3, [], Ct);
        Assert.Equal(ids.Take(3), deleted.Select(d => d.TraceId));
        Assert.All(deleted, d => Assert.EndsWith($"/traces/{d.TraceId}/artifacts", d.ArtifactLocation, StringComparison.Ordinal));
        Assert.Equal([ids[4], ids[3]], await SearchAsync(experimentId, null));
        var orphans = await Fixture.Database.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT (SELECT COUNT(*) FROM trace_tags WHERE trace_id NOT IN (SELECT trace_id FROM trace_info)) + " +
            "(SELECT COUNT(*) FROM trace_assessments WHERE trace_id NOT IN (SELECT trace_id FROM trace_info))", cancellationToken: ct)), Ct);
        Assert.Equal(0, orphans);

        Assert.Equal([ids[3]], (await Traces.DeleteTracesAsync(experimentId, null, null, [ids[3], "tr-none"], Ct)).Select(d => d.TraceId));
        Assert.Empty(await Traces.DeleteTracesAsync(await CreateExperimentAsync(), null, null, [ids[4]], Ct));
    }

    [Fact]
    public async Task Gc_queries_find_old_traces_across_experiments_and_purge_them()
    {
        var e1 = await CreateExperimentAsync();
        var e2 = await CreateExperimentAsync();
        var old1 = NewTraceId();
        var old2 = NewTraceId();
        var fresh = NewTraceId();
        await Traces.StartTraceAsync(Trace(old1, e1, 5), 1, Ct);
        await Traces.StartTraceAsync(Trace(old2, e2, 6), 1, Ct);
        await Traces.StartTraceAsync(Trace(fresh, e2, 10_000_000_000_000), 1, Ct);

        var before = await Traces.GetTracesBeforeAsync(1_000, 100, Ct);
        Assert.Contains(before, t => t.TraceId == old1);
        Assert.Contains(before, t => t.TraceId == old2);
        Assert.DoesNotContain(before, t => t.TraceId == fresh);
        Assert.Equal(2, await Traces.PurgeTracesAsync([old1, old2], Ct));
        Assert.Equal([fresh], (await Traces.GetTracesOfExperimentAsync(e2, Ct)).Select(t => t.TraceId));
    }

    [Fact]
    public async Task Assessments_override_update_and_delete()
    {
        var experimentId = await CreateExperimentAsync();
        var id = NewTraceId();
        await Traces.StartTraceAsync(Trace(id, experimentId, 1), 1, Ct);
        var first = await Traces.CreateAssessmentAsync(id, Feedback("quality", "0.2"), 50, Ct);
        var second = await Traces.CreateAssessmentAsync(id, Feedback("quality", "0.9", overrides: first.AssessmentId), 60, Ct);
        Assert.False((await Traces.GetAssessmentAsync(id, first.AssessmentId, Ct)).Valid);
        Assert.True(second.Valid);

        var updated = await Traces.UpdateAssessmentAsync(id, second.AssessmentId,
            new AssessmentUpdate(null, AssessmentKind.Feedback, "{\"score\": 1}", null, null, null, [new("k2", "v2")], null), 70, Ct);
        Assert.Equal("{\"score\": 1}", updated.ValueJson);
        Assert.Equal("because", updated.Rationale);
        Assert.Equal([new KeyValue("k", "v"), new KeyValue("k2", "v2")], updated.Metadata);
        Assert.Equal(70, updated.LastUpdateTimeMs);
        AssertSame(updated, await Traces.GetAssessmentAsync(id, second.AssessmentId, Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => Traces.UpdateAssessmentAsync(id, second.AssessmentId,
            new AssessmentUpdate(null, AssessmentKind.Expectation, "1", null, null, null, null, null), 80, Ct))).Code);

        await Traces.DeleteAssessmentAsync(id, second.AssessmentId, Ct);
        Assert.True((await Traces.GetAssessmentAsync(id, first.AssessmentId, Ct)).Valid);
        await Traces.DeleteAssessmentAsync(id, second.AssessmentId, Ct);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => Traces.GetAssessmentAsync(id, second.AssessmentId, Ct))).Code);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => Traces.CreateAssessmentAsync("tr-none", Feedback("q", "1"), 1, Ct))).Code);
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, (await Assert.ThrowsAsync<MlflowException>(
            () => Traces.CreateAssessmentAsync(id, Feedback("q", "1") with { AssessmentId = first.AssessmentId }, 1, Ct))).Code);
    }

    [Fact]
    public async Task Logged_spans_create_widen_and_settle_the_trace()
    {
        var experimentId = await CreateExperimentAsync();
        var id = NewTraceId();
        TraceSpan Span(string spanId, string? parent, long start, long? end, string status = "UNSET") =>
            new(id, spanId, parent, "s-" + spanId, "LLM", status, start, end, "{\"name\": \"s-" + spanId + "\"}");

        await Traces.LogSpansAsync(experimentId, id, [Span("b", "a", 2_000_000, 3_000_000)], 1, Ct);
        var info = (await Traces.GetTraceInfoAsync(id, Ct))!;
        Assert.Equal(TraceState.IN_PROGRESS, info.State);
        Assert.Equal(2, info.RequestTimeMs);
        Assert.Equal(1, info.ExecutionDurationMs);

        await Traces.LogSpansAsync(experimentId, id, [Span("a", null, 1_000_000, 5_000_000, "ERROR")], 1, Ct);
        info = (await Traces.GetTraceInfoAsync(id, Ct))!;
        Assert.Equal(TraceState.ERROR, info.State);
        Assert.Equal(1, info.RequestTimeMs);
        Assert.Equal(4, info.ExecutionDurationMs);
        Assert.Equal(["a", "b"], (await Traces.GetSpansAsync(id, Ct)).Select(s => s.SpanId));
        Assert.Equal([id], await SearchAsync(experimentId, "span.name = 's-b'"));
        Assert.Equal([id], await SearchAsync(experimentId, "span.name IN ('s-x', 's-a')"));
        Assert.Empty(await SearchAsync(experimentId, "span.name = 's-c'"));
    }

    [Fact]
    public async Task Linked_runs_count_for_run_id_search()
    {
        var experimentId = await CreateExperimentAsync();
        var run = await CreateRunAsync(experimentId);
        var id = NewTraceId();
        await Traces.StartTraceAsync(Trace(id, experimentId, 1), 1, Ct);
        await Traces.LinkTracesToRunAsync([id, id], run.Info.RunId, Ct);
        await Traces.LinkTracesToRunAsync([id], run.Info.RunId, Ct);
        Assert.Equal([id], await SearchAsync(experimentId, $"run_id = '{run.Info.RunId}'"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => Traces.LinkTracesToRunAsync(["tr-none"], run.Info.RunId, Ct))).Code);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => Traces.LinkTracesToRunAsync([id], "nope", Ct))).Code);
    }
}
