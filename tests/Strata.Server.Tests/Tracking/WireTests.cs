using System.Net;
using System.Text;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class WireTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Health_and_version_are_plain_text()
    {
        var health = await Server.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.Status);
        Assert.Equal("OK", health.Text);
        var version = await Server.GetAsync("/version");
        Assert.Equal("3.6.0", version.Text);
        Assert.Equal("text/plain", version.MediaType);
    }

    [Theory]
    [InlineData("/api/2.0/mlflow/no-such-thing")]
    [InlineData("/api/2.0/mlflow/metrics/get-history-bulk")] // UI-only route, not under /api
    [InlineData("/api/3.0/mlflow/no-such-thing")]
    [InlineData("/nothing")]
    public async Task Unknown_routes_are_endpoint_not_found(string path)
    {
        (await Server.GetAsync(path)).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
    }

    [Fact]
    public async Task Wrong_method_is_405_with_an_mlflow_body()
    {
        var response = await Server.GetAsync("/api/2.0/mlflow/runs/create");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.Status);
        Assert.Equal("ENDPOINT_NOT_FOUND", response.ErrorCode);
    }

    [Fact]
    public async Task Post_without_json_content_type_is_rejected()
    {
        (await Server.PostAsync("/api/2.0/mlflow/experiments/create", "{\"name\":\"x\"}", "text/plain"))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync("/api/2.0/mlflow/experiments/create", "{\"name\":\"x\"}", null))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var withCharset = await Server.PostAsync("/api/2.0/mlflow/experiments/create", "{\"name\":\"charset-ok\"}", "application/json; charset=utf-8");
        withCharset.Ok();
    }

    // Invalid UTF-8 inside a string value (a lone 0xFF, a truncated sequence, an overlong encoding) and escaped lone
    // surrogates used to reach a handler and answer 500; they are the client's mistake.
    [Theory]
    [InlineData("/api/2.0/mlflow/experiments/create", "{\"name\":\"\xff\"}")]
    [InlineData("/api/2.0/mlflow/experiments/create", "{\"name\":\"a\xe2\x82\"}")]
    [InlineData("/api/2.0/mlflow/registered-models/create", "{\"name\":\"\xc0\xaf\"}")]
    [InlineData("/api/2.0/mlflow/runs/log-batch", "{\"run_id\":\"r\",\"params\":[{\"key\":\"\xff\",\"value\":\"v\"}]}")]
    [InlineData("/api/2.0/mlflow/experiments/create", "{\"name\":\"\\ud800\"}")]
    [InlineData("/api/2.0/mlflow/registered-models/create", "\"{\\\"name\\\":\\\"\\\\udc00\\\"}\"")]
    public async Task Invalid_unicode_in_a_body_is_400(string path, string latin1Body)
    {
        using var content = new ByteArrayContent(Encoding.Latin1.GetBytes(latin1Body));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await Server.Client.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Contains("INVALID_PARAMETER_VALUE", text);
    }

    [Theory]
    [InlineData("{\"name\": ")]
    [InlineData("{name: 'x'}")]
    [InlineData("[1,2]")]
    [InlineData("42")]
    [InlineData("\"not json inside\"")]
    public async Task Malformed_bodies_are_400(string body)
    {
        (await Server.PostAsync("/api/2.0/mlflow/experiments/create", body)).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Wrong_types_name_the_field()
    {
        var response = await Server.PostAsync("/api/2.0/mlflow/experiments/create", "{\"name\": {\"a\": 1}}");
        response.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'name'", response.Json.GetProperty("message").GetString(), StringComparison.Ordinal);

        var run = await Server.PostAsync("/api/2.0/mlflow/runs/create", "{\"experiment_id\": \"0\", \"start_time\": \"yesterday\"}");
        run.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'start_time'", run.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Double_encoded_body_is_decoded_twice()
    {
        var inner = "{\"name\": \"double-encoded\"}";
        var body = System.Text.Json.JsonSerializer.Serialize(inner);
        var id = (await Server.PostAsync("/api/2.0/mlflow/experiments/create", body)).Ok().GetProperty("experiment_id").GetString();
        var experiment = (await Server.GetAsync($"/api/2.0/mlflow/experiments/get?experiment_id={id}")).Ok().GetProperty("experiment");
        Assert.Equal("double-encoded", experiment.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Empty_body_is_an_empty_object_and_required_fields_are_reported()
    {
        var response = await Server.PostAsync("/api/2.0/mlflow/experiments/create", "");
        response.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("Missing value for required parameter 'name'", response.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_and_both_prefixes_work()
    {
        var id = (await Server.PostAsync("/ajax-api/2.0/mlflow/experiments/create", new { name = "ajax-exp", unknown_field = new[] { 1, 2 } }))
            .Ok().GetProperty("experiment_id").GetString();
        var viaApi = (await Server.GetAsync($"/api/2.0/mlflow/experiments/get?experiment_id={id}")).Ok();
        Assert.Equal("ajax-exp", viaApi.GetProperty("experiment").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Get_without_query_string_reads_a_json_body()
    {
        var id = await Server.CreateExperimentAsync("get-with-body");
        var response = await Server.SendAsync(HttpMethod.Get, "/api/2.0/mlflow/experiments/get", $"{{\"experiment_id\": \"{id}\"}}", "application/json");
        Assert.Equal("get-with-body", response.Ok().GetProperty("experiment").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Numeric_ids_and_numbers_as_strings_are_accepted()
    {
        var id = await Server.CreateExperimentAsync();
        var run = (await Server.PostAsync("/api/2.0/mlflow/runs/create", $"{{\"experiment_id\": {id}, \"start_time\": \"1700000000123\"}}"))
            .Ok().GetProperty("run").GetProperty("info");
        Assert.Equal(id, run.GetProperty("experiment_id").GetString());
        Assert.Equal(1700000000123L, run.GetProperty("start_time").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Number, run.GetProperty("start_time").ValueKind);
    }

    [Fact]
    public async Task Int64_beyond_double_precision_round_trips_as_a_json_number()
    {
        var run = (await Server.PostAsync("/api/2.0/mlflow/runs/create", "{\"experiment_id\": \"0\", \"start_time\": \"9007199254740993\"}")).Ok();
        var text = run.GetProperty("run").GetProperty("info").GetProperty("start_time").GetRawText();
        Assert.Equal("9007199254740993", text);
    }

    [Fact]
    public async Task Get_reads_repeated_query_keys_as_arrays()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var first = await Server.CreateRunIdAsync(experimentId);
        var second = (await Server.CreateRunAsync(experimentId, new { start_time = 1_800_000_000_000L })).GetProperty("info").GetProperty("run_id").GetString();
        var page = (await Server.GetAsync(
            $"/api/2.0/mlflow/runs/search?experiment_ids={experimentId}&experiment_ids=0&order_by=attributes.start_time%20ASC&order_by=run_id&max_results=10&run_view_type=ACTIVE_ONLY")).Ok();
        var ids = page.List("runs").Select(r => r.GetProperty("info").GetProperty("run_id").GetString()).ToList();
        Assert.True(ids.IndexOf(first) < ids.IndexOf(second));
    }

    [Fact]
    public async Task Log_batch_body_over_one_megabyte_is_rejected()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var builder = new StringBuilder($"{{\"run_id\":\"{runId}\",\"tags\":[{{\"key\":\"big\",\"value\":\"");
        builder.Append('x', 1_100_000);
        builder.Append("\"}]}");
        (await Server.PostAsync("/api/2.0/mlflow/runs/log-batch", builder.ToString())).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var run = await Server.GetRunAsync(runId);
        Assert.DoesNotContain(run.GetProperty("data").List("tags"), t => t.GetProperty("key").GetString() == "big");
    }

    [Fact]
    public async Task Booleans_in_query_strings_are_case_insensitive_and_others_rejected()
    {
        // registered-models is not ours; logged-model search ascending is in a body, so check a GET enum + bool path we own:
        var ok = await Server.GetAsync("/api/2.0/mlflow/experiments/search?max_results=5&view_type=ALL");
        ok.Ok();
        (await Server.GetAsync("/api/2.0/mlflow/experiments/search?max_results=abc")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync("/api/2.0/mlflow/experiments/search?view_type=SOMETIMES")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync("/api/2.0/mlflow/experiments/search?view_type=3")).Ok();
    }
}

public sealed class ArtifactsOnlyModeTests
{
    [Fact]
    public async Task Tracking_endpoints_answer_503_plain_text()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.ArtifactsOnly = true);
        var response = await server.PostAsync("/api/2.0/mlflow/experiments/create", new { name = "x" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.Status);
        Assert.Equal("text/plain", response.MediaType);
        Assert.Equal("OK", (await server.GetAsync("/health")).Text);
    }

    [Fact]
    public async Task Registry_traces_webhooks_and_automation_routes_answer_503_too()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.ArtifactsOnly = true);
        foreach (var path in new[]
        {
            "/api/2.0/mlflow/registered-models/search", "/api/2.0/mlflow/traces?experiment_ids=0", "/api/3.0/mlflow/traces/tr-x",
            "/api/2.0/mlflow/webhooks", "/api/2.0/strata/webhooks", "/api/2.0/strata/jobs", "/api/2.0/strata/policies",
            "/api/2.0/strata/monitoring/profiles?name=m&version=1",
        })
        {
            var response = await server.GetAsync(path);
            Assert.True(response.Status == HttpStatusCode.ServiceUnavailable, $"{path}: {response.Status}");
        }
    }
}
