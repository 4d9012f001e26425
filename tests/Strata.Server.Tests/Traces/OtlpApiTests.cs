using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Strata.Server.Tests.Infrastructure;
using static Strata.Server.Tests.Traces.TraceTestPayloads;

namespace Strata.Server.Tests.Traces;

/// <summary>OTLP/HTTP ingest at /v1/traces: protobuf (what MLflow 3's span logging and OTel exporters send) and JSON.</summary>
public sealed class OtlpApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private StrataTestServer Server => fixture.Server;

    private static readonly byte[] RootId = Convert.FromHexString("00000000000000a1");
    private static readonly byte[] ChildId = Convert.FromHexString("00000000000000b2");

    [Fact]
    public async Task Protobuf_spans_create_the_trace_and_are_searchable_and_readable()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var otelTraceId = Guid.NewGuid().ToByteArray();
        var traceId = "tr-" + Convert.ToHexStringLower(otelTraceId);

        // The child ends first and arrives alone (incremental span logging); the root follows.
        Assert.Equal(HttpStatusCode.OK, (await PostProtobufAsync(experimentId, Request(Span(otelTraceId, ChildId, RootId, "retrieve", 2_000_000_000, 2_500_000_000, 0)))).StatusCode);
        var info = (await Server.GetAsync($"{V3}/{traceId}")).Ok().GetProperty("trace").GetProperty("trace_info");
        Assert.Equal("IN_PROGRESS", info.GetProperty("state").GetString());
        Assert.Equal($"mlflow-artifacts:/{experimentId}/traces/{traceId}/artifacts", info.Tag("mlflow.artifactLocation"));

        Assert.Equal(HttpStatusCode.OK, (await PostProtobufAsync(experimentId, Request(Span(otelTraceId, RootId, [], "chain", 1_000_000_000, 3_000_000_000, 1)))).StatusCode);
        info = (await Server.GetAsync($"{V3}/{traceId}")).Ok().GetProperty("trace").GetProperty("trace_info");
        Assert.Equal("OK", info.GetProperty("state").GetString());
        Assert.Equal("1970-01-01T00:00:01Z", info.GetProperty("request_time").GetString());
        Assert.Equal("2s", info.GetProperty("execution_duration").GetString());

        var found = (await Server.PostAsync(V3 + "/search", Search(experimentId, "span.name = 'retrieve'"))).Ok();
        Assert.Equal(traceId, Assert.Single(found.List("traces")).GetProperty("trace_id").GetString());
        Assert.Empty((await Server.PostAsync(V3 + "/search", Search(experimentId, "span.name = 'nothing'"))).Ok().List("traces"));
        Assert.Single((await Server.PostAsync(V3 + "/search", Search(experimentId, "span.name LIKE 'retr%'"))).Ok().List("traces"));

        // With no traces.json uploaded, the span data comes from the logged spans, in MLflow's traces.json form.
        var data = await Server.Client.GetStringAsync($"/ajax-api/2.0/mlflow/get-trace-artifact?request_id={traceId}");
        var spans = JsonDocument.Parse(data).RootElement.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal(["chain", "retrieve"], spans.Select(s => s.GetProperty("name").GetString()));
        var child = spans[1];
        Assert.Equal(Convert.ToBase64String(otelTraceId), child.GetProperty("trace_id").GetString());
        Assert.Equal(Convert.ToBase64String(RootId), child.GetProperty("parent_span_id").GetString());
        Assert.Equal(2_000_000_000, child.GetProperty("start_time_unix_nano").GetInt64());
        var attributes = child.GetProperty("attributes");
        Assert.Equal($"\"{traceId}\"", attributes.GetProperty("mlflow.traceRequestId").GetString());
        Assert.Equal("\"RETRIEVER\"", attributes.GetProperty("mlflow.spanType").GetString());
        Assert.Equal("42", attributes.GetProperty("count").GetString());
        Assert.Equal("true", attributes.GetProperty("ok").GetString());
        Assert.Equal("[\"a\",1.5]", attributes.GetProperty("list").GetString());
        Assert.Equal("{\"k\":\"v\"}", attributes.GetProperty("map").GetString());
        Assert.Equal("STATUS_CODE_UNSET", child.GetProperty("status").GetProperty("code").GetString());
        Assert.Equal("cache-miss", Assert.Single(child.GetProperty("events").EnumerateArray().ToList()).GetProperty("name").GetString());

        // The client's StartTraceV3 at the end completes the trace and keeps the spans.
        await Server.StartAsync(StartTrace(traceId, experimentId));
        Assert.Single((await Server.PostAsync(V3 + "/search", Search(experimentId, "span.name = 'retrieve'"))).Ok().List("traces"));
    }

    [Fact]
    public async Task Json_and_gzip_bodies_are_accepted()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var otelTraceId = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
        var json = $$$"""
            {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "s"}, "spans": [
              {"traceId": "{{{otelTraceId}}}", "spanId": "00000000000000c3", "name": "GET /items", "kind": 2,
               "startTimeUnixNano": "1700000000000000000", "endTimeUnixNano": "1700000000250000000",
               "attributes": [{"key": "http.method", "value": {"stringValue": "GET"}}, {"key": "http.status_code", "value": {"intValue": "200"}}],
               "status": {"code": 1}}]}]}]}
            """;
        var response = await SendAsync(experimentId, Encoding.UTF8.GetBytes(json), "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("{}", await response.Content.ReadAsStringAsync());
        var info = (await Server.GetAsync($"{V3}/tr-{otelTraceId}")).Ok().GetProperty("trace").GetProperty("trace_info");
        Assert.Equal("OK", info.GetProperty("state").GetString());
        Assert.Equal("0.250s", info.GetProperty("execution_duration").GetString());

        var gzTraceId = Guid.NewGuid().ToByteArray();
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(Request(Span(gzTraceId, RootId, [], "root", 1, 2, 2)));
        }

        var gzResponse = await SendAsync(experimentId, compressed.ToArray(), "application/x-protobuf", "gzip");
        Assert.Equal(HttpStatusCode.OK, gzResponse.StatusCode);
        var gzInfo = (await Server.GetAsync($"{V3}/tr-{Convert.ToHexStringLower(gzTraceId)}")).Ok().GetProperty("trace").GetProperty("trace_info");
        Assert.Equal("ERROR", gzInfo.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Otlp_errors_are_client_errors()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var body = Request(Span(Guid.NewGuid().ToByteArray(), RootId, [], "root", 1, 2, 1));
        await AssertErrorAsync(await SendAsync(null, body, "application/x-protobuf"), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await SendAsync("987654", body, "application/x-protobuf"), HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        await AssertErrorAsync(await SendAsync(experimentId, body, "text/plain"), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await SendAsync(experimentId, [0x0a, 0xff, 0xff], "application/x-protobuf"), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await SendAsync(experimentId, Request(Span([1, 2, 3], RootId, [], "root", 1, 2, 1)), "application/x-protobuf"),
            HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        await AssertErrorAsync(await SendAsync(experimentId, "{not json"u8.ToArray(), "application/json"), HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal(code, JsonDocument.Parse(text).RootElement.GetProperty("error_code").GetString());
    }

    private Task<HttpResponseMessage> PostProtobufAsync(string experimentId, byte[] body) => SendAsync(experimentId, body, "application/x-protobuf");

    private async Task<HttpResponseMessage> SendAsync(string? experimentId, byte[] body, string contentType, string? encoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/traces") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        if (encoding is not null)
        {
            request.Content.Headers.ContentEncoding.Add(encoding);
        }

        if (experimentId is not null)
        {
            request.Headers.Add("x-mlflow-experiment-id", experimentId);
        }

        return await Server.Client.SendAsync(request);
    }

    // ---- building OTLP protobuf messages field by field (opentelemetry/proto/trace/v1) ----

    private static byte[] Request(params byte[][] spans)
    {
        var scope = Message(o => { foreach (var span in spans) { Bytes(o, 2, span); } });
        var resource = Message(o => Bytes(o, 2, scope));
        return Message(o => Bytes(o, 1, resource));
    }

    private static byte[] Span(byte[] traceId, byte[] spanId, byte[] parentId, string name, ulong start, ulong end, int statusCode) => Message(o =>
    {
        Bytes(o, 1, traceId);
        Bytes(o, 2, spanId);
        if (parentId.Length > 0)
        {
            Bytes(o, 4, parentId);
        }

        o.WriteTag(5, WireFormat.WireType.LengthDelimited);
        o.WriteString(name);
        o.WriteTag(6, WireFormat.WireType.Varint);
        o.WriteEnum(1);
        o.WriteTag(7, WireFormat.WireType.Fixed64);
        o.WriteFixed64(start);
        o.WriteTag(8, WireFormat.WireType.Fixed64);
        o.WriteFixed64(end);
        Bytes(o, 9, KeyValue("mlflow.spanType", Any(a => { a.WriteTag(1, WireFormat.WireType.LengthDelimited); a.WriteString("RETRIEVER"); })));
        Bytes(o, 9, KeyValue("count", Any(a => { a.WriteTag(3, WireFormat.WireType.Varint); a.WriteInt64(42); })));
        Bytes(o, 9, KeyValue("ok", Any(a => { a.WriteTag(2, WireFormat.WireType.Varint); a.WriteBool(true); })));
        var list = Message(l =>
        {
            Bytes(l, 1, Any(a => { a.WriteTag(1, WireFormat.WireType.LengthDelimited); a.WriteString("a"); }));
            Bytes(l, 1, Any(a => { a.WriteTag(4, WireFormat.WireType.Fixed64); a.WriteDouble(1.5); }));
        });
        Bytes(o, 9, KeyValue("list", Any(a => Bytes(a, 5, list))));
        var map = Message(m => Bytes(m, 1, KeyValue("k", Any(a => { a.WriteTag(1, WireFormat.WireType.LengthDelimited); a.WriteString("v"); }))));
        Bytes(o, 9, KeyValue("map", Any(a => Bytes(a, 6, map))));
        Bytes(o, 11, Message(e =>
        {
            e.WriteTag(1, WireFormat.WireType.Fixed64);
            e.WriteFixed64(start + 1);
            e.WriteTag(2, WireFormat.WireType.LengthDelimited);
            e.WriteString("cache-miss");
        }));
        // An unknown field (a future OTLP addition) must be skipped.
        o.WriteTag(99, WireFormat.WireType.Varint);
        o.WriteInt32(7);
        Bytes(o, 15, Message(s =>
        {
            s.WriteTag(3, WireFormat.WireType.Varint);
            s.WriteEnum(statusCode);
        }));
    });

    private static byte[] KeyValue(string key, byte[] anyValue) => Message(o =>
    {
        o.WriteTag(1, WireFormat.WireType.LengthDelimited);
        o.WriteString(key);
        Bytes(o, 2, anyValue);
    });

    private static byte[] Any(Action<CodedOutputStream> write) => Message(write);

    private static void Bytes(CodedOutputStream o, int field, byte[] value)
    {
        o.WriteTag(field, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(value));
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        write(output);
        output.Flush();
        return stream.ToArray();
    }
}

/// <summary>In --artifacts-only mode OTLP ingest is off like every other tracking route (MLflow answers 503 there).</summary>
public sealed class OtlpArtifactsOnlyTests
{
    [Fact]
    public async Task Otlp_ingest_answers_503_in_artifacts_only_mode()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.ArtifactsOnly = true);
        var response = await server.SendAsync(HttpMethod.Post, "/v1/traces", "{\"resourceSpans\": []}", "application/json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.Status);
        Assert.Equal("text/plain", response.MediaType);
        var search = await server.PostAsync("/api/3.0/mlflow/traces/search", new { locations = Array.Empty<object>() });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, search.Status);
    }
}
