using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Strata.Core.Deployments;
using Strata.Storage.Database;
using Strata.Storage.Serving;
using static Microsoft.Playwright.Assertions;

namespace Strata.Server.Ui.Tests;

/// <summary>
/// The trace, deployment and monitoring pages in a real browser, the version page's deployments, and the UI's 404:
/// data made through the REST API (service metrics and logged predictions through the stores serving writes them
/// with, since no model runs here), pages opened and clicked, and a screenshot of each.
/// </summary>
public sealed class OperationsUiTests(UiFixture ui) : IClassFixture<UiFixture>
{
    static OperationsUiTests() => SetDefaultExpectTimeout(30_000);

    private static string NewId() => Guid.NewGuid().ToString("N")[..8];

    /// <summary>A trace made as MLflow 3's client makes it: StartTraceV3, then traces.json uploaded to its artifact location.</summary>
    private async Task<string> TraceAsync(string experimentId, string name, string state, long requestTime, bool withSpans)
    {
        var traceId = "tr-" + Guid.NewGuid().ToString("N");
        var body = $$$"""
            {"trace": {"trace_info": {
              "trace_id": "{{{traceId}}}",
              "trace_location": {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": "{{{experimentId}}}"}},
              "request_time": "{{{DateTimeOffset.FromUnixTimeMilliseconds(requestTime).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}}",
              "execution_duration": "1.500s",
              "state": "{{{state}}}",
              "trace_metadata": {"mlflow.user": "alice", "mlflow.trace_schema.version": "3"},
              "tags": {"team": "search", "mlflow.traceName": "{{{name}}}"},
              "request_preview": "{\"question\": \"What is Strata?\"}",
              "response_preview": "\"An MLOps platform.\""
            } } }
            """;
        var info = (await ui.Server.PostAsync("/api/3.0/mlflow/traces", body)).Ok().GetProperty("trace").GetProperty("trace_info");
        if (withSpans)
        {
            var location = info.GetProperty("tags").GetProperty("mlflow.artifactLocation").GetString()!;
            using var content = new ByteArrayContent(SpanDocument(traceId));
            using var put = await ui.Server.Client.PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{location["mlflow-artifacts:/".Length..]}/traces.json", content);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        return traceId;
    }

    /// <summary>A chain → retriever + LLM trace in MLflow 3's traces.json form (base64 ids, attribute values as JSON text).</summary>
    private static byte[] SpanDocument(string traceId)
    {
        var trace = Convert.ToBase64String(Convert.FromHexString(traceId[3..]));
        static string Id(int i) => Convert.ToBase64String(BitConverter.GetBytes((long)i));
        const long T = 1_735_689_600_000_000_000;
        string Span(int id, int? parent, string name, string type, long start, long end, string inputs, string outputs, string status = "STATUS_CODE_OK") =>
            $$$"""
            {"trace_id": "{{{trace}}}", "span_id": "{{{Id(id)}}}", "parent_span_id": {{{(parent is null ? "null" : $"\"{Id(parent.Value)}\"")}}}, "name": "{{{name}}}",
             "start_time_unix_nano": {{{T + start}}}, "end_time_unix_nano": {{{T + end}}}, "events": [],
             "status": {"code": "{{{status}}}", "message": ""},
             "attributes": {"mlflow.traceRequestId": "\"{{{traceId}}}\"", "mlflow.spanType": "\"{{{type}}}\"",
                            "mlflow.spanInputs": {{{System.Text.Json.JsonSerializer.Serialize(inputs)}}}, "mlflow.spanOutputs": {{{System.Text.Json.JsonSerializer.Serialize(outputs)}}},
                            "temperature": "0.2"}}
            """;
        var spans = string.Join(", ",
            Span(1, null, "answer_question", "CHAIN", 0, 1_500_000_000, """{"question": "What is Strata?"}""", "\"An MLOps platform.\""),
            Span(2, 1, "retrieve_docs", "RETRIEVER", 50_000_000, 450_000_000, """{"query": "Strata"}""", """[{"doc": "README.md"}]"""),
            Span(3, 1, "chat_model", "LLM", 500_000_000, 1_400_000_000, """{"messages": [{"role": "user", "content": "What is Strata?"}]}""", """{"content": "An MLOps platform."}"""));
        return Encoding.UTF8.GetBytes("{\"spans\": [" + spans + "]}");
    }

    [Fact]
    public async Task Trace_list_filters_and_the_trace_page_shows_the_span_tree_and_assessments()
    {
        var exp = await ui.CreateExperimentAsync("traces-ui-" + NewId());
        const long T0 = 1_735_689_600_000;
        var ok = await TraceAsync(exp, "answer_question", "OK", T0, withSpans: true);
        await TraceAsync(exp, "summarize", "ERROR", T0 + 1000, withSpans: false);
        (await ui.Server.PostAsync($"/api/3.0/mlflow/traces/{ok}/assessments", $$$"""
            {"assessment": {"assessment_name": "correctness", "trace_id": "{{{ok}}}", "source": {"source_type": "LLM_JUDGE", "source_id": "judge"},
             "feedback": {"value": true}, "rationale": "matches the docs"}}
            """)).Ok();

        var page = await ui.NewPageAsync();
        await page.GotoAsync($"/experiments/{exp}");
        await page.ClickAsync("#traces-tab");
        await Expect(page.Locator("#traces tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator($"#traces tr[data-trace='{ok}']")).ToContainTextAsync("correctness: true");

        // A valid filter narrows the list; the state is in the URL.
        await page.FillAsync("#trace-filter", "trace.status = 'ERROR'");
        await page.PressAsync("#trace-filter", "Enter");
        await Expect(page.Locator("#traces tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#traces tbody td.name")).ToHaveTextAsync("summarize");
        Assert.Contains("filter=", page.Url, StringComparison.Ordinal);
        await page.FillAsync("#trace-filter", "tags.team = 'search' and name = 'answer_question'");
        await page.PressAsync("#trace-filter", "Enter");
        await Expect(page.Locator("#traces tbody td.name")).ToHaveTextAsync("answer_question");
        await UiFixture.ScreenshotAsync(page, "traces");

        // An invalid one shows the parser's message inline.
        await page.FillAsync("#trace-filter", "trace.status >>> 'x'");
        await page.PressAsync("#trace-filter", "Enter");
        await Expect(page.Locator("#filter-error")).ToContainTextAsync("Invalid filter");

        // The trace page: waterfall in tree order, the root selected, then a child's inputs and outputs.
        await page.GotoAsync($"/experiments/{exp}/traces");
        await page.ClickAsync($"#traces tr[data-trace='{ok}'] a");
        await Expect(page.Locator("h1")).ToHaveTextAsync("answer_question");
        Assert.Equal(["answer_question", "retrieve_docs", "chat_model"], await page.Locator(".wf-row").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.span)"));
        await Expect(page.Locator(".wf-row.selected")).ToHaveAttributeAsync("data-span", "answer_question");
        await Expect(page.Locator("#span-inputs")).ToContainTextAsync("\"question\": \"What is Strata?\"");
        await page.ClickAsync(".wf-row[data-span=chat_model]");
        await Expect(page.Locator(".wf-row.selected")).ToHaveAttributeAsync("data-span", "chat_model");
        await Expect(page.Locator("#span-detail h2")).ToContainTextAsync("LLM");
        await Expect(page.Locator("#span-outputs")).ToContainTextAsync("An MLOps platform.");
        await Expect(page.Locator("#span-detail")).ToContainTextAsync("900 ms");
        await Expect(page.Locator("#span-attributes")).ToContainTextAsync("temperature");
        await Expect(page.Locator("#assessments tr[data-assessment=correctness]")).ToContainTextAsync("matches the docs");
        await UiFixture.ScreenshotAsync(page, "trace");

        // A trace without span data still opens; an unknown one says so.
        await page.GotoAsync($"/experiments/{exp}/traces?filter=" + Uri.EscapeDataString("trace.status = 'ERROR'"));
        await page.ClickAsync("#traces tbody tr a");
        await Expect(page.Locator("#waterfall")).ToContainTextAsync("No span data");
        await page.GotoAsync("/traces/tr-" + new string('0', 32));
        await Expect(page.Locator(".error")).ToContainTextAsync("not found");
    }

    /// <summary>Registered model with version 1 (alias champion) and 2, and a reference profile on version 1.</summary>
    private async Task<string> ModelWithProfileAsync()
    {
        var name = "churn-" + NewId();
        await ui.PostAsync("/api/2.0/mlflow/registered-models/create", new { name });
        await ui.PostAsync("/api/2.0/mlflow/model-versions/create", new { name, source = "mlflow-artifacts:/ui-tests/models/one" });
        await ui.PostAsync("/api/2.0/mlflow/model-versions/create", new { name, source = "mlflow-artifacts:/ui-tests/models/two" });
        await ui.PostAsync("/api/2.0/mlflow/registered-models/alias", new { name, alias = "champion", version = "1" });
        var csv = new StringBuilder("x,c,label\n");
        for (var i = 0; i < 300; i++)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{i / 100.0},{"abc"[i % 3]},{(i >= 150 ? "yes" : "no")}\n");
        }

        (await ui.Server.PostAsync($"/api/2.0/strata/monitoring/profiles/upload?name={name}&version=1&prediction_column=label", csv.ToString(), "text/csv")).Ok();
        return name;
    }

    [Fact]
    public async Task Deployment_pages_show_route_metrics_and_drift_and_the_version_page_where_it_is_deployed()
    {
        var model = await ModelWithProfileAsync();
        var name = "churn-api-" + NewId();
        await ui.PostAsync("/api/2.0/strata/deployments", new
        {
            name,
            route = new object[] { new { model_name = model, alias = "champion", weight = 90 }, new { model_name = model, version = "2", weight = 10 } },
            shadow = new { model_name = model, version = "2" },
            description = "canary of v2",
        });
        (await ui.Server.PatchAsync($"/api/2.0/strata/deployments/{name}", new
        {
            revision = 1,
            route = new object[] { new { model_name = model, alias = "champion", weight = 80 }, new { model_name = model, version = "2", weight = 20 } },
            shadow = new { model_name = model, version = "2" },
        })).Ok();

        // What serving replicas write: per-minute rows per version, and the logged requests drift reads.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var rows = new List<ServiceMetricsRow>();
        for (var m = 1; m <= 20; m++)
        {
            var bucket = ServiceMetricsMerge.BucketStart(now - (m * 60_000), MetricsResolution.Minute);
            foreach (var (version, requests, latency) in new[] { ("1", 120L, 4_000L), ("2", 30L, 9_000L) })
            {
                var sketch = new LatencySketch();
                sketch.Add(latency, requests - 2);
                sketch.Add(latency * 5, 2);
                rows.Add(new ServiceMetricsRow(name, model, version, false, MetricsResolution.Minute, bucket, "replica-a",
                    requests, version == "2" ? 3 : 0, (latency * requests) + (latency * 8), requests * 1500, requests * 4096, sketch));
            }
        }

        await ui.Server.Services.GetRequiredService<IServiceMetricsStore>().UpsertAsync(rows, default);
        var log = new PredictionLogStore(ui.Server.Services.GetRequiredService<IDatabase>());
        var records = new List<PredictionLogRecord>();
        for (var i = 0; i < 200; i += 10)
        {
            // x shifted up by one and every prediction "yes": x and the prediction drift, c does not.
            var rowsJson = Enumerable.Range(i, 10).Select(k => $"[{(1 + (k / 100.0)).ToString(CultureInfo.InvariantCulture)}, \"{"abc"[k % 3]}\"]");
            records.Add(new PredictionLogRecord($"req-{name}-{i}", model, "1", now - 600_000 + i, 100, 200, "mlflow",
                "{\"dataframe_split\": {\"columns\": [\"x\", \"c\"], \"data\": [" + string.Join(", ", rowsJson) + "]}}",
                "{\"predictions\": [" + string.Join(", ", Enumerable.Repeat("\"yes\"", 10)) + "]}", null));
        }

        await log.InsertAsync(records, default);
        (await ui.Server.PostAsync($"/api/2.0/strata/deployments/{name}/drift/compute",
            new { version = "1", from = (now - 3_600_000).ToString(CultureInfo.InvariantCulture), to = now.ToString(CultureInfo.InvariantCulture) })).Ok();

        var page = await ui.NewPageAsync();
        await page.GotoAsync("/deployments");
        await Expect(page.Locator($"#deployments tr[data-deployment='{name}']")).ToContainTextAsync($"{model}@champion 80%");
        await UiFixture.ScreenshotAsync(page, "deployments");
        await page.ClickAsync($"#deployments a:text('{name}')");
        await Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await Expect(page.Locator("#route")).ToContainTextAsync($"{model}/2");
        await Expect(page.Locator("#shadow")).ToContainTextAsync("shadow");
        await Expect(page.Locator("#revisions tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator($"#totals tr[data-series='{model} v1']")).ToContainTextAsync("2,400");
        await Expect(page.Locator($"#totals tr[data-series='{model} v2']")).ToContainTextAsync("10%");
        foreach (var chart in new[] { "traffic", "latency", "errors", "cost" })
        {
            await Expect(page.Locator($".chart-card[data-chart={chart}] .js-plotly-plot .main-svg").First).ToBeVisibleAsync();
        }

        var drift = page.Locator($"#drift .drift-run[data-version='{model}/1']");
        await Expect(drift.Locator("tr[data-feature=x] .verdict")).ToHaveTextAsync("drift");
        await Expect(drift.Locator("tr[data-feature=c] .verdict")).ToHaveTextAsync("no drift");
        await Expect(drift.Locator("tr[data-feature=label]")).ToContainTextAsync("prediction");
        await Expect(drift.Locator(".chart-card[data-distribution=x] .js-plotly-plot .main-svg").First).ToBeVisibleAsync();
        await Expect(drift.Locator(".chart-card[data-distribution=c] .js-plotly-plot .main-svg").First).ToBeVisibleAsync();
        await page.WaitForTimeoutAsync(300); // let plotly finish drawing before the picture
        await UiFixture.ScreenshotAsync(page, "deployment");

        // Another window has no traffic.
        await page.ClickAsync("nav.tabs a[data-window='7d']");
        await Expect(page.Locator("#metrics nav.tabs a.active")).ToHaveAttributeAsync("data-window", "7d");

        // The version pages list where they are served: v1 through its alias, v2 by number and as the shadow.
        await page.GotoAsync($"/models/{model}/versions/1");
        await Expect(page.Locator($"#deployed tr[data-deployment='{name}']")).ToContainTextAsync("alias @champion");
        await page.GotoAsync($"/models/{model}/versions/2");
        await Expect(page.Locator($"#deployed tr[data-deployment='{name}']")).ToHaveCountAsync(2);
        await Expect(page.Locator("#deployed")).ToContainTextAsync("shadow");
        await UiFixture.ScreenshotAsync(page, "model-version-deployed");
        await page.ClickAsync($"#deployed a:text('{name}')");
        await Expect(page.Locator("h1")).ToHaveTextAsync(name);

        await page.GotoAsync("/deployments/no-such-deployment-" + NewId());
        await Expect(page.Locator(".error")).ToContainTextAsync("does not exist");
    }

    [Fact]
    public async Task Unknown_ui_paths_answer_an_html_404_page_and_api_paths_keep_json()
    {
        var page = await ui.NewPageAsync();
        var response = await page.GotoAsync("/no/such/page");
        Assert.NotNull(response);
        Assert.Equal(404, response.Status);
        await Expect(page.Locator("#not-found h1")).ToHaveTextAsync("Page not found");
        await Expect(page.Locator("header.topbar")).ToBeVisibleAsync();
        await UiFixture.ScreenshotAsync(page, "not-found");
        await page.ClickAsync("#not-found a:text('Experiments')");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Experiments");

        // The browser asking for an API path, and API clients anywhere, still get MLflow's JSON.
        var api = await page.GotoAsync("/api/2.0/mlflow/no-such-endpoint");
        Assert.Equal(404, api!.Status);
        Assert.Contains("ENDPOINT_NOT_FOUND", await api.TextAsync(), StringComparison.Ordinal);
        (await ui.Server.GetAsync("/no/such/page")).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
        using var html = new HttpRequestMessage(HttpMethod.Get, "/no/such/page");
        html.Headers.Accept.ParseAdd("text/html");
        using var htmlResponse = await ui.Server.Client.SendAsync(html);
        Assert.Equal(HttpStatusCode.NotFound, htmlResponse.StatusCode);
        Assert.Equal("text/html", htmlResponse.Content.Headers.ContentType?.MediaType);
        using var wrongMethod = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/runs/create");
        wrongMethod.Headers.Accept.ParseAdd("text/html");
        using var wrongMethodResponse = await ui.Server.Client.SendAsync(wrongMethod);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethodResponse.StatusCode);
    }

    [Fact]
    public async Task Plotly_and_the_blazor_script_are_served_compressed()
    {
        foreach (var path in new[] { "/_content/Plotly.Blazor/plotly-basic-3.7.0.min.js", "/_content/Plotly.Blazor/plotly-3.7.0.min.js", "/_framework/blazor.web.js" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.AcceptEncoding.ParseAdd("gzip");
            using var response = await ui.Server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("gzip", response.Content.Headers.ContentEncoding);
            var compressed = (await response.Content.ReadAsByteArrayAsync()).Length;
            using var plain = await ui.Server.Client.GetAsync(path);
            Assert.Empty(plain.Content.Headers.ContentEncoding);
            Assert.True(compressed * 2 < (await plain.Content.ReadAsByteArrayAsync()).Length, $"{path}: {compressed} bytes compressed");
        }
    }
}
