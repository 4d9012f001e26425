using System.Net;
using System.Text;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;
using static Strata.Server.Tests.Traces.TraceTestPayloads;

namespace Strata.Server.Tests.Traces;

/// <summary>The MLflow 3 trace endpoints over HTTP with the bodies the MLflow 3.5 client sends.</summary>
public sealed class TracesApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Start_trace_v3_returns_the_trace_with_its_artifact_location_and_get_reads_it_back()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var traceId = NewTraceId();
        var created = await Server.StartAsync(StartTrace(traceId, experimentId));

        Assert.Equal(traceId, created.GetProperty("trace_id").GetString());
        Assert.Equal(experimentId, created.GetProperty("trace_location").GetProperty("mlflow_experiment").GetProperty("experiment_id").GetString());
        Assert.Equal("MLFLOW_EXPERIMENT", created.GetProperty("trace_location").GetProperty("type").GetString());
        Assert.Equal("2025-01-01T00:00:00.123Z", created.GetProperty("request_time").GetString());
        Assert.Equal("1.500s", created.GetProperty("execution_duration").GetString());
        Assert.Equal("OK", created.GetProperty("state").GetString());
        Assert.Equal("{\"question\": \"hi\"}", created.GetProperty("request_preview").GetString());
        Assert.Equal("abc", created.GetProperty("trace_metadata").GetProperty("mlflow.sourceRun").GetString());
        Assert.Equal("predict", created.Tag("mlflow.traceName"));
        Assert.Equal($"mlflow-artifacts:/{experimentId}/traces/{traceId}/artifacts", created.Tag("mlflow.artifactLocation"));

        foreach (var prefix in new[] { "/api/3.0/mlflow/traces/", "/ajax-api/3.0/mlflow/traces/" })
        {
            var fetched = (await Server.GetAsync(prefix + traceId)).Ok().GetProperty("trace").GetProperty("trace_info");
            Assert.Equal(created.GetRawText(), fetched.GetRawText());
        }

        var v2 = (await Server.GetAsync($"{V2}/{traceId}/info")).Ok().GetProperty("trace_info");
        Assert.Equal(traceId, v2.GetProperty("request_id").GetString());
        Assert.Equal(1735689600123, v2.GetProperty("timestamp_ms").GetInt64());
        Assert.Equal(1500, v2.GetProperty("execution_time_ms").GetInt64());
        Assert.Equal("OK", v2.GetProperty("status").GetString());
        Assert.Contains(v2.List("tags"), t => t.GetProperty("key").GetString() == "team" && t.GetProperty("value").GetString() == "a");
    }

    [Fact]
    public async Task Start_trace_errors_use_mlflow_codes()
    {
        var experimentId = await Server.CreateExperimentAsync();
        (await Server.PostAsync(V3, "{}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(V3, StartTrace(NewTraceId(), "987654"))).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(V3, StartTrace(NewTraceId(), experimentId, duration: "soon"))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(V3, StartTrace(NewTraceId(), experimentId, state: "DONE"))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var badTime = StartTrace(NewTraceId(), experimentId).Replace("2025-01-01T00:00:00.123Z", "yesterday", StringComparison.Ordinal);
        var error = (await Server.PostAsync(V3, badTime)).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("trace.trace_info.request_time", error.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        (await Server.GetAsync($"{V3}/tr-{Guid.NewGuid():N}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{V2}/tr-{Guid.NewGuid():N}/info")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        await Server.PostAsync(TrackingClient.Api + "experiments/delete", new { experiment_id = experimentId });
        (await Server.PostAsync(V3, StartTrace(NewTraceId(), experimentId))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Starting_a_trace_again_completes_it_in_place()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var traceId = NewTraceId();
        await Server.StartAsync(StartTrace(traceId, experimentId, state: "IN_PROGRESS", team: "x"));
        var again = await Server.StartAsync(StartTrace(traceId, experimentId, state: "ERROR", team: "y"));
        Assert.Equal("ERROR", again.GetProperty("state").GetString());
        Assert.Equal("y", again.Tag("team"));
    }

    [Fact]
    public async Task Search_traces_v3_with_the_filters_the_client_sends()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var a = NewTraceId();
        var b = NewTraceId();
        var c = NewTraceId();
        await Server.StartAsync(StartTrace(a, experimentId, requestTimeMs: 1_000, duration: "0.100s", team: "a", traceName: "chat", sourceRun: "r1"));
        await Server.StartAsync(StartTrace(b, experimentId, requestTimeMs: 2_000, duration: "2s", state: "ERROR", team: "b", traceName: "chat", sourceRun: "r2"));
        await Server.StartAsync(StartTrace(c, experimentId, requestTimeMs: 3_000, duration: "0.500s", team: "a", traceName: "embed", sourceRun: "r1"));

        async Task<List<string>> Ids(string? filter, string orderBy = "timestamp_ms DESC")
        {
            var body = (await Server.PostAsync(V3 + "/search", Search(experimentId, filter, orderBy))).Ok();
            return body.List("traces").Select(t => t.GetProperty("trace_id").GetString()!).ToList();
        }

        Assert.Equal([c, b, a], await Ids(null));
        Assert.Equal([c, a], await Ids("tags.team = 'a'"));
        Assert.Equal([b], await Ids("tags.`team` != 'a'"));
        Assert.Equal([b], await Ids("attributes.status = 'ERROR'"));
        Assert.Equal([c, a], await Ids("trace.status IN ('OK', 'IN_PROGRESS')"));
        Assert.Equal([c, b], await Ids("trace.timestamp_ms > 1000"));
        Assert.Equal([b], await Ids("attributes.timestamp_ms >= 2000 AND attributes.timestamp_ms < 3000"));
        Assert.Equal([c, a], await Ids("attributes.execution_time_ms < 1000"));
        Assert.Equal([c, a], await Ids("metadata.`mlflow.sourceRun` = 'r1'"));
        Assert.Equal([b], await Ids("request_metadata.`mlflow.sourceRun` = 'r2'"));
        Assert.Equal([b, a], await Ids("name = 'chat'"));
        Assert.Equal([c], await Ids("trace.name = 'embed' AND tags.team = 'a'"));
        Assert.Equal([c, a], await Ids("run_id = 'r1'"));
        Assert.Equal([a], await Ids($"request_id = '{a}'"));
        Assert.Equal([a, b, c], await Ids(null, "timestamp_ms ASC"));
        Assert.Equal([b, c, a], await Ids(null, "execution_time_ms DESC"));
        Assert.Equal([c, a, b], await Ids(null, "tags.team"));

        // The v2 search the 2.x clients and the UI send.
        var v2 = (await Server.GetAsync($"{V2}?experiment_ids={experimentId}&filter={Uri.EscapeDataString("tags.team = 'a'")}&order_by=timestamp_ms%20ASC")).Ok();
        Assert.Equal([a, c], v2.List("traces").Select(t => t.GetProperty("request_id").GetString()).ToList());
    }

    [Fact]
    public async Task Search_pages_with_keyset_tokens()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var id = NewTraceId();
            ids.Add(id);
            // Pairs share a start time so the id tie-break decides within them.
            await Server.StartAsync(StartTrace(id, experimentId, requestTimeMs: 10_000 + (i / 2 * 1000)));
        }

        var expected = ids.OrderByDescending(id => 10_000 + (ids.IndexOf(id) / 2 * 1000)).ThenBy(id => id, StringComparer.Ordinal).ToList();
        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var body = (await Server.PostAsync(V3 + "/search", Search(experimentId, null, maxResults: 3, pageToken: token))).Ok();
            seen.AddRange(body.List("traces").Select(t => t.GetProperty("trace_id").GetString()!));
            token = body.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
            pages++;
        }
        while (token is not null);

        Assert.Equal(expected, seen);
        Assert.Equal(3, pages);
    }

    [Theory]
    [InlineData("tags.team LIKE 'a'", "'LIKE' at position 10")]
    [InlineData("foo.bar = 'x'", "'foo' in 'foo.bar' at position 0")]
    [InlineData("attributes.timestamp_ms > 'x'", "'\'x\'' for 'attributes.timestamp_ms' at position 26")]
    [InlineData("span.type = 'LLM'", "span key 'type' at position 0")]
    [InlineData("tags.team = 'a' OR tags.team = 'b'", "'OR' at position 16")]
    [InlineData("attributes.nope = 'x'", "invalid attribute key 'nope' at position 0")]
    public async Task Search_grammar_errors_name_the_token_and_position(string filter, string expected)
    {
        var experimentId = await Server.CreateExperimentAsync();
        var error = (await Server.PostAsync(V3 + "/search", Search(experimentId, filter))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains(expected, error.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_rejects_bad_limits_tokens_and_order_by()
    {
        var experimentId = await Server.CreateExperimentAsync();
        (await Server.PostAsync(V3 + "/search", Search(experimentId, null, maxResults: 501))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(V3 + "/search", Search(experimentId, null, pageToken: "not-a-token"))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(V3 + "/search", Search(experimentId, null, orderBy: "params.x DESC"))).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(V3 + "/search", "{\"filter\": \"\"}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Trace_tags_set_and_delete_through_the_v2_path_the_client_uses()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var traceId = NewTraceId();
        await Server.StartAsync(StartTrace(traceId, experimentId));

        (await Server.PatchAsync($"{V2}/{traceId}/tags", new { key = "k", value = "v" })).Ok();
        (await Server.PatchAsync($"{V3}/{traceId}/tags", new { key = "k2", value = "v2" })).Ok();
        var info = (await Server.GetAsync($"{V3}/{traceId}")).Ok().GetProperty("trace").GetProperty("trace_info");
        Assert.Equal("v", info.Tag("k"));
        Assert.Equal("v2", info.Tag("k2"));

        (await Server.DeleteAsync($"{V2}/{traceId}/tags", new { key = "k" })).Ok();
        info = (await Server.GetAsync($"{V3}/{traceId}")).Ok().GetProperty("trace").GetProperty("trace_info");
        Assert.False(info.GetProperty("tags").TryGetProperty("k", out _));

        (await Server.DeleteAsync($"{V2}/{traceId}/tags", new { key = "k" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PatchAsync($"{V2}/tr-unknown/tags", new { key = "k", value = "v" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PatchAsync($"{V2}/{traceId}/tags", new { value = "v" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Delete_traces_by_ids_and_by_age_with_a_cap()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(NewTraceId());
            await Server.StartAsync(StartTrace(ids[i], experimentId, requestTimeMs: 1_000 * (i + 1)));
        }

        var byIds = (await Server.PostAsync($"{V3}/delete-traces", new { experiment_id = experimentId, request_ids = new[] { ids[4], "tr-missing" } })).Ok();
        Assert.Equal(1, byIds.GetProperty("traces_deleted").GetInt32());

        // Oldest first, at most two, among those at or before 3000.
        var byAge = (await Server.PostAsync($"{V2}/delete-traces", new { experiment_id = experimentId, max_timestamp_millis = 3_000, max_traces = 2 })).Ok();
        Assert.Equal(2, byAge.GetProperty("traces_deleted").GetInt32());
        (await Server.GetAsync($"{V3}/{ids[0]}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{V3}/{ids[2]}")).Ok();

        (await Server.PostAsync($"{V3}/delete-traces", new { experiment_id = experimentId })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{V3}/delete-traces", new { experiment_id = experimentId, max_timestamp_millis = 1, request_ids = new[] { ids[2] } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{V3}/delete-traces", new { request_ids = new[] { ids[2] } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Link_traces_to_run_makes_run_id_search_find_them()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var runId = await Server.CreateRunIdAsync(experimentId);
        var traceId = NewTraceId();
        await Server.StartAsync(StartTrace(traceId, experimentId, sourceRun: "other"));

        (await Server.PostAsync("/api/2.0/mlflow/traces/link-to-run", new { trace_ids = new[] { traceId }, run_id = runId })).Ok();
        (await Server.PostAsync($"{V3}/link-to-run", new { trace_ids = new[] { traceId }, run_id = runId })).Ok();
        var found = (await Server.PostAsync(V3 + "/search", Search(experimentId, $"run_id = '{runId}'"))).Ok();
        Assert.Equal(traceId, Assert.Single(found.List("traces")).GetProperty("trace_id").GetString());

        (await Server.PostAsync($"{V3}/link-to-run", new { trace_ids = new[] { traceId }, run_id = "nope" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{V3}/link-to-run", new { trace_ids = new[] { "tr-unknown" }, run_id = runId })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var tooMany = Enumerable.Range(0, 101).Select(_ => NewTraceId()).ToArray();
        (await Server.PostAsync($"{V3}/link-to-run", new { trace_ids = tooMany, run_id = runId })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{V3}/link-to-run", new { trace_ids = new[] { traceId } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task V2_start_and_end_trace()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var started = (await Server.PostAsync(V2, new
        {
            experiment_id = experimentId,
            timestamp_ms = 5_000,
            request_metadata = new[] { new { key = "m", value = "1" } },
            tags = new[] { new { key = "t", value = "x" } },
        })).Ok().GetProperty("trace_info");
        Assert.Equal("IN_PROGRESS", started.GetProperty("status").GetString());
        var id = started.GetProperty("request_id").GetString()!;

        var ended = (await Server.PatchAsync($"{V2}/{id}", new { timestamp_ms = 5_250, status = "OK", tags = new[] { new { key = "t2", value = "y" } } }))
            .Ok().GetProperty("trace_info");
        Assert.Equal("OK", ended.GetProperty("status").GetString());
        Assert.Equal(250, ended.GetProperty("execution_time_ms").GetInt64());
        Assert.Equal(3, ended.List("tags").Count); // t, t2 and the artifact location
        (await Server.PatchAsync($"{V2}/tr-unknown", new { timestamp_ms = 1, status = "OK" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_trace_with_1000_spans_round_trips_byte_equal_through_the_artifact_proxy()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var traceId = NewTraceId();
        var info = await Server.StartAsync(StartTrace(traceId, experimentId));
        var location = info.Tag("mlflow.artifactLocation");
        Assert.StartsWith("mlflow-artifacts:/", location, StringComparison.Ordinal);

        var document = SpanDocument(traceId, 1000);
        var upload = new ByteArrayContent(document);
        var put = await Server.Client.PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{location["mlflow-artifacts:/".Length..]}/traces.json", upload);
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var downloaded = await Server.Client.GetAsync($"/ajax-api/2.0/mlflow/get-trace-artifact?request_id={traceId}");
        Assert.Equal(HttpStatusCode.OK, downloaded.StatusCode);
        Assert.Equal(document, await downloaded.Content.ReadAsByteArrayAsync());

        var batch = (await Server.GetAsync($"{V3}/batchGet?trace_ids={traceId}")).Ok();
        var trace = Assert.Single(batch.List("traces"));
        Assert.Equal(traceId, trace.GetProperty("trace_info").GetProperty("trace_id").GetString());
        var spans = trace.List("spans");
        Assert.Equal(1000, spans.Count);
        Assert.Equal("span-999", spans[999].GetProperty("name").GetString());
        Assert.Equal("STATUS_CODE_OK", spans[0].GetProperty("status").GetProperty("code").GetString());

        (await Server.GetAsync("/ajax-api/2.0/mlflow/get-trace-artifact")).IsError(HttpStatusCode.BadRequest, "BAD_REQUEST");
        (await Server.GetAsync($"{V3}/batchGet")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Deleting_a_trace_removes_its_span_data()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var traceId = NewTraceId();
        var location = (await Server.StartAsync(StartTrace(traceId, experimentId))).Tag("mlflow.artifactLocation");
        var path = $"/api/2.0/mlflow-artifacts/artifacts/{location["mlflow-artifacts:/".Length..]}/traces.json";
        Assert.Equal(HttpStatusCode.OK, (await Server.Client.PutAsync(path, new ByteArrayContent(SpanDocument(traceId, 2)))).StatusCode);

        (await Server.PostAsync($"{V3}/delete-traces", new { experiment_id = experimentId, request_ids = new[] { traceId } })).Ok();
        Assert.Equal(HttpStatusCode.NotFound, (await Server.Client.GetAsync(path)).StatusCode);
    }

    /// <summary>A <c>traces.json</c> as MLflow 3's client writes it: one root span and a chain of children.</summary>
    internal static byte[] SpanDocument(string traceId, int count)
    {
        var traceB64 = Convert.ToBase64String(Convert.FromHexString(traceId[3..]));
        var sb = new StringBuilder("{\"spans\": [");
        for (var i = 0; i < count; i++)
        {
            var spanB64 = Convert.ToBase64String(BitConverter.GetBytes((long)i + 1));
            var parent = i == 0 ? "null" : $"\"{Convert.ToBase64String(BitConverter.GetBytes((long)i))}\"";
            sb.Append(i == 0 ? "" : ", ").Append(
                $"{{\"trace_id\": \"{traceB64}\", \"span_id\": \"{spanB64}\", \"parent_span_id\": {parent}, \"name\": \"span-{i}\", " +
                $"\"start_time_unix_nano\": {1735689600123000000L + i}, \"end_time_unix_nano\": {1735689601623000000L - i}, \"events\": [], " +
                "\"status\": {\"code\": \"STATUS_CODE_OK\", \"message\": \"\"}, " +
                $"\"attributes\": {{\"mlflow.traceRequestId\": \"\\\"{traceId}\\\"\", \"mlflow.spanType\": \"\\\"LLM\\\"\", \"mlflow.spanInputs\": \"{{\\\"q\\\": \\\"caf\u00e9 {i}\\\"}}\"}}}}");
        }

        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }
}
