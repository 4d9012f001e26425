using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Strata.Client.Tests.Support;
using Strata.Core.Errors;

namespace Strata.Client.Tests.Unit;

/// <summary>Error mapping, retries, authentication and DI, against a scripted Kestrel server.</summary>
public sealed class HttpBehaviourTests
{
    [Fact]
    public async Task Error_body_maps_to_StrataApiException_with_code_status_and_message()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) =>
            c.Json("""{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Run with id=abc not found"}""", 404));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var ex = await Assert.ThrowsAsync<StrataApiException>(() => client.GetRunAsync("abc"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, ex.ErrorCode);
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("Run with id=abc not found", ex.Message);
        Assert.Single(server.Requests); // a 404 is not transient
    }

    [Theory]
    [InlineData(404, "not json", ErrorCode.ENDPOINT_NOT_FOUND)]
    [InlineData(400, "", ErrorCode.BAD_REQUEST)]
    [InlineData(401, "", ErrorCode.UNAUTHENTICATED)]
    [InlineData(403, "denied", ErrorCode.PERMISSION_DENIED)]
    [InlineData(501, "", ErrorCode.NOT_IMPLEMENTED)]
    public async Task Non_json_errors_derive_the_code_from_the_status(int status, string body, ErrorCode expected)
    {
        await using var server = await ScriptedServer.StartAsync(async (c, _) =>
        {
            c.Response.StatusCode = status;
            await c.Response.WriteAsync(body);
        });
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var ex = await Assert.ThrowsAsync<StrataApiException>(() => client.GetExperimentAsync("1"));
        Assert.Equal(expected, ex.ErrorCode);
        Assert.Equal(status, (int)ex.StatusCode);
    }

    [Fact]
    public async Task Unknown_error_code_name_is_kept_raw_and_code_comes_from_status()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) =>
            c.Json("""{"error_code":"SOMETHING_NEW","message":"m"}""", 409));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var ex = await Assert.ThrowsAsync<StrataApiException>(() => client.GetExperimentAsync("1"));
        Assert.Equal(ErrorCode.RESOURCE_CONFLICT, ex.ErrorCode);
        Assert.Equal("SOMETHING_NEW", ex.RawErrorCode);
    }

    [Fact]
    public async Task Get_by_name_of_a_missing_experiment_is_null()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) =>
            c.Json("""{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no"}""", 404));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        Assert.Null(await client.GetExperimentByNameAsync("nope"));
        Assert.Equal("?experiment_name=nope", server.Requests.Single().Query);
    }

    private static async Task<ScriptedServer> FailTwiceThen(string okJson, int failStatus = 503)
    {
        var calls = 0;
        return await ScriptedServer.StartAsync((c, _) =>
            Interlocked.Increment(ref calls) <= 2
                ? c.Json("""{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}""", failStatus)
                : c.Json(okJson));
    }

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(500)]
    public async Task Get_is_retried_after_transient_statuses(int status)
    {
        await using var server = await FailTwiceThen("""{"experiment":{"experiment_id":"1","name":"e"}}""", status);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var experiment = await client.GetExperimentAsync("1");
        Assert.Equal("e", experiment.Name);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Idempotent_writes_are_retried_with_the_same_body()
    {
        await using var server = await FailTwiceThen("{}");
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        await client.SetTagAsync("r1", "k", "v");
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Equal(server.Requests.First().Body, r.Body));
        Assert.Contains("\"key\":\"k\"", server.Requests.First().Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creates_are_not_retried()
    {
        await using var server = await FailTwiceThen("""{"run":{"info":{"run_id":"x"}}}""");
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var ex = await Assert.ThrowsAsync<StrataApiException>(() => client.CreateRunAsync("0"));
        Assert.Equal(ErrorCode.TEMPORARILY_UNAVAILABLE, ex.ErrorCode);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Retries_stop_after_the_configured_attempts()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Json("""{"error_code":"INTERNAL_ERROR","message":"x"}""", 502));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri, o => o.MaxRetryAttempts = 2));
        var ex = await Assert.ThrowsAsync<StrataApiException>(() => client.GetRunAsync("r"));
        Assert.Equal(HttpStatusCode.BadGateway, ex.StatusCode);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Deterministic_client_errors_are_not_retried()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) =>
            c.Json("""{"error_code":"INVALID_PARAMETER_VALUE","message":"bad"}""", 400));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        await Assert.ThrowsAsync<StrataApiException>(() => client.LogParamAsync("r", "k", "v"));
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Network_failures_of_idempotent_calls_are_retried()
    {
        // A port that nobody listens on: every attempt is refused.
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = TestOptions.Fast(new Uri($"http://127.0.0.1:{port}"), o => o.MaxRetryAttempts = 3);
        using var client = StrataClient.Create(options);
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetRunAsync("r"));
        // 3 retries with 10-50 ms jittered exponential delays: measurably more than no retry at all.
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(15));
    }

    [Fact]
    public async Task Bearer_token_from_environment_is_sent()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Json("{}"));
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_TRACKING_URI"] = "http://ignored:1",
            ["STRATA_TRACKING_URI"] = server.Uri.ToString(),
            ["MLFLOW_TRACKING_TOKEN"] = "tok123",
            ["MLFLOW_TRACKING_USERNAME"] = "u",
            ["MLFLOW_TRACKING_PASSWORD"] = "p",
        };
        var options = StrataClientOptions.FromEnvironment(k => env.GetValueOrDefault(k));
        Assert.Equal(server.Uri, options.TrackingUri);
        using var client = StrataClient.Create(options);
        await client.SetTagAsync("r", "k", "v");
        Assert.Equal("Bearer tok123", server.Requests.Single().Authorization);
    }

    [Fact]
    public async Task Basic_credentials_from_environment_are_sent()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Json("{}"));
        var env = new Dictionary<string, string?>
        {
            ["MLFLOW_TRACKING_URI"] = server.Uri.ToString(),
            ["MLFLOW_TRACKING_USERNAME"] = "alice",
            ["MLFLOW_TRACKING_PASSWORD"] = "s3cr:t",
        };
        using var client = StrataClient.Create(StrataClientOptions.FromEnvironment(k => env.GetValueOrDefault(k)));
        await client.SetTagAsync("r", "k", "v");
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cr:t"));
        Assert.Equal(expected, server.Requests.Single().Authorization);
    }

    [Fact]
    public void Environment_rejects_a_non_http_tracking_uri()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            StrataClientOptions.FromEnvironment(k => k == "MLFLOW_TRACKING_URI" ? "file:///tmp/mlruns" : null));
        Assert.Contains("file:///tmp/mlruns", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tracking_uri_path_prefix_is_kept()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Json("{}"));
        using var client = StrataClient.Create(TestOptions.Fast(new Uri(server.Uri, "/prefix")));
        await client.SetTagAsync("r", "k", "v");
        Assert.Equal("/prefix/api/2.0/mlflow/runs/set-tag", server.Requests.Single().Path);
    }

    [Fact]
    public async Task DI_registration_uses_the_http_client_factory_with_retries()
    {
        await using var server = await FailTwiceThen("""{"experiment":{"experiment_id":"7","name":"di"}}""");
        var services = new ServiceCollection();
        services.AddStrataClient(o =>
        {
            o.TrackingUri = server.Uri;
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
            o.Token = "di-token";
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<StrataClient>();
        var experiment = await client.GetExperimentAsync("7");
        Assert.Equal("di", experiment.Name);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal("Bearer di-token", server.Requests.Last().Authorization);
    }

    [Fact]
    public async Task Paging_follows_tokens_until_none()
    {
        await using var server = await ScriptedServer.StartAsync((c, body) =>
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(body)!;
            var token = json["page_token"]?.GetValue<string>();
            return token switch
            {
                null => c.Json("""{"experiments":[{"experiment_id":"1"},{"experiment_id":"2"}],"next_page_token":"p2"}"""),
                "p2" => c.Json("""{"experiments":[{"experiment_id":"3"}],"next_page_token":"p3"}"""),
                _ => c.Json("""{"experiments":[{"experiment_id":"4"}]}"""),
            };
        });
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var ids = new List<string>();
        await foreach (var e in client.SearchExperimentsAsync(new ExperimentSearch(Filter: "name LIKE 'a%'", MaxResults: 2)))
        {
            ids.Add(e.ExperimentId);
        }
        Assert.Equal(["1", "2", "3", "4"], ids);
        Assert.Equal(3, server.Requests.Count);
        Assert.All(server.Requests, r => Assert.Contains("\"filter\":\"name LIKE \\u0027a%\\u0027\"", r.Body, StringComparison.Ordinal));
        var single = await client.SearchExperimentsPageAsync(new ExperimentSearch(MaxResults: 2), "p2");
        Assert.Equal("p3", single.NextPageToken);
    }

    [Fact]
    public async Task Get_query_uses_repeated_keys()
    {
        await using var server = await ScriptedServer.StartAsync((c, _) => c.Json("""{"metrics":[{"key":"k","value":1,"timestamp":1,"step":1,"run_id":"a"}]}"""));
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var points = await client.GetMetricHistoryBulkIntervalAsync(["a", "b"], "k", 0, 10, 5);
        Assert.Equal("a", points.Single().RunId);
        Assert.Equal("?run_ids=a&run_ids=b&metric_key=k&start_step=0&end_step=10&max_results=5", server.Requests.Single().Query);
    }
}
