using System.Diagnostics;
using System.Text.Json;
using Strata.Client.Tracing;

namespace Strata.Client.Tests.Integration;

/// <summary>The SDK's tracing end to end: nested spans and HttpClient spans become one MLflow trace on a real server.</summary>
public sealed class TracingTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Nested_spans_and_http_client_spans_are_logged_as_one_mlflow_trace()
    {
        var experimentId = await _client.CreateExperimentAsync("tracing-" + Guid.NewGuid().ToString("N"));
        await using var tracing = _client.StartTracing(experimentId);
        using var http = new HttpClient { BaseAddress = _server.Uri };

        string traceId;
        using (var root = tracing.StartSpan("agent", "AGENT", new { question = "café?" })!)
        {
            traceId = root.TraceId;
            var answer = await tracing.TraceAsync("call-llm", async span =>
            {
                // An instrumented library's span (System.Net.Http) joins the trace under the current span.
                var version = await http.GetStringAsync("/version");
                return $"v{version}";
            }, "LLM", new { prompt = "hi" });
            root.SetOutputs(answer);
        }

        await tracing.FlushAsync();
        Assert.Equal(0, tracing.FailedTraces);

        var info = await _client.GetTraceInfoAsync(traceId);
        Assert.Equal("OK", info.GetProperty("state").GetString());
        Assert.Equal("agent", info.GetProperty("tags").GetProperty("mlflow.traceName").GetString());
        Assert.Equal("{\"question\":\"café?\"}", info.GetProperty("request_preview").GetString());

        var location = info.GetProperty("tags").GetProperty("mlflow.artifactLocation").GetString()!;
        var work = Directory.CreateTempSubdirectory("strata-trace-");
        try
        {
            await _client.DownloadArtifactsFromUriAsync(location, "traces.json", work.FullName);
            var document = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(work.FullName, "traces.json")));
            var spans = document.RootElement.GetProperty("spans").EnumerateArray().ToList();
            var byName = spans.ToDictionary(s => s.GetProperty("name").GetString()!);
            Assert.Contains("agent", byName.Keys);
            Assert.Contains("call-llm", byName.Keys);
            var httpSpan = Assert.Single(spans, s => s.GetProperty("name").GetString()!.StartsWith("GET", StringComparison.Ordinal));

            Assert.Equal(JsonValueKind.Null, byName["agent"].GetProperty("parent_span_id").ValueKind);
            Assert.Equal(byName["agent"].GetProperty("span_id").GetString(), byName["call-llm"].GetProperty("parent_span_id").GetString());
            Assert.Equal(byName["call-llm"].GetProperty("span_id").GetString(), httpSpan.GetProperty("parent_span_id").GetString());
            Assert.Equal("\"LLM\"", byName["call-llm"].GetProperty("attributes").GetProperty("mlflow.spanType").GetString());
            Assert.Equal("{\"prompt\":\"hi\"}", byName["call-llm"].GetProperty("attributes").GetProperty("mlflow.spanInputs").GetString());
            Assert.Equal("STATUS_CODE_OK", byName["call-llm"].GetProperty("status").GetProperty("code").GetString());
            Assert.Equal($"\"{traceId}\"", httpSpan.GetProperty("attributes").GetProperty("mlflow.traceRequestId").GetString());
            var traceB64 = Convert.ToBase64String(Convert.FromHexString(traceId[3..]));
            Assert.All(spans, s => Assert.Equal(traceB64, s.GetProperty("trace_id").GetString()));
        }
        finally
        {
            work.Delete(recursive: true);
        }

        // The exporter's own HTTP calls made no traces of their own.
        var search = await SearchCountAsync(experimentId);
        Assert.Equal(1, search);
    }

    [Fact]
    public async Task A_failing_span_marks_the_trace_as_error_and_http_outside_a_trace_is_not_recorded()
    {
        var experimentId = await _client.CreateExperimentAsync("tracing-" + Guid.NewGuid().ToString("N"));
        await using var tracing = _client.StartTracing(experimentId);
        using var http = new HttpClient { BaseAddress = _server.Uri };
        await http.GetStringAsync("/version");

        string? traceId = null;
        await Assert.ThrowsAsync<InvalidOperationException>(() => tracing.TraceAsync<int>("fails", span =>
        {
            traceId = span!.TraceId;
            throw new InvalidOperationException("boom");
        }));
        await tracing.FlushAsync();

        var info = await _client.GetTraceInfoAsync(traceId!);
        Assert.Equal("ERROR", info.GetProperty("state").GetString());
        Assert.Equal(1, await SearchCountAsync(experimentId));
    }

    private async Task<int> SearchCountAsync(string experimentId)
    {
        using var http = new HttpClient { BaseAddress = _server.Uri };
        var body = new StringContent($"{{\"locations\": [{{\"type\": \"MLFLOW_EXPERIMENT\", \"mlflow_experiment\": {{\"experiment_id\": \"{experimentId}\"}}}}]}}",
            System.Text.Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/api/3.0/mlflow/traces/search", body);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return json.TryGetProperty("traces", out var traces) ? traces.GetArrayLength() : 0;
    }
}
