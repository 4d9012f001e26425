using System.Net;
using System.Text;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Security;

public sealed class RequestBodyLimitTests
{
    [Fact]
    public async Task A_json_api_body_over_the_limit_is_413_and_changes_nothing()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.Security.MaxRequestBodyBytes = 4096);
        var padding = new string('x', 8000);
        var tooLarge = await server.PostAsync("/api/2.0/mlflow/experiments/create", $$"""{"name":"big","tags":[{"key":"k","value":"{{padding}}"}]}""");
        tooLarge.IsError(HttpStatusCode.RequestEntityTooLarge, "INVALID_PARAMETER_VALUE");
        Assert.Contains("too large", tooLarge.Json.GetProperty("message").GetString(), StringComparison.Ordinal);

        var missing = await server.GetAsync("/api/2.0/mlflow/experiments/get-by-name?experiment_name=big");
        missing.IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        var small = await server.PostAsync("/api/2.0/mlflow/experiments/create", new { name = "small" });
        small.Ok();
    }

    [Fact]
    public async Task Artifact_uploads_stream_past_the_json_limit()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.Security.MaxRequestBodyBytes = 1024);
        var bytes = Encoding.UTF8.GetBytes(new string('a', 64 * 1024));
        using var put = await server.Client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/limits/big.txt", new ByteArrayContent(bytes));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var get = await server.Client.GetAsync("/api/2.0/mlflow-artifacts/artifacts/limits/big.txt");
        Assert.Equal(bytes.Length, (await get.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Data_endpoints_take_the_large_limit()
    {
        await using var server = await StrataTestServer.StartAsync(o =>
        {
            o.Security.MaxRequestBodyBytes = 1024;
            o.Security.MaxLargeRequestBodyBytes = 8192;
        });
        // An OTLP export is refused for its content, not its size, between the two limits...
        var body = new ByteArrayContent(new byte[4096]);
        body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
        using var between = await server.Client.PostAsync("/v1/traces", body);
        Assert.NotEqual(HttpStatusCode.RequestEntityTooLarge, between.StatusCode);
        Assert.True((int)between.StatusCode < 500, $"status {(int)between.StatusCode}");

        // ...and for its size above the large one.
        var huge = new ByteArrayContent(new byte[16384]);
        huge.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-protobuf");
        using var over = await server.Client.PostAsync("/v1/traces", huge);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
    }
}
