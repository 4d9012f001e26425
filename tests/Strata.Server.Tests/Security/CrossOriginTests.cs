using System.Net;
using System.Text;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Security;

public sealed class CrossOriginTests
{
    private static async Task<HttpResponseMessage> CreateExperimentFrom(StrataTestServer server, string? origin, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/2.0/mlflow/experiments/create")
        {
            Content = new StringContent($$"""{"name":"{{name}}"}""", Encoding.UTF8, "application/json"),
        };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await server.Client.SendAsync(request);
    }

    [Fact]
    public async Task State_changing_calls_from_another_site_are_refused_and_change_nothing()
    {
        await using var server = await StrataTestServer.StartAsync();
        using var blocked = await CreateExperimentFrom(server, "https://evil.example", "from-evil");
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Contains("PERMISSION_DENIED", await blocked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(blocked.Headers.Contains("Access-Control-Allow-Origin"));
        (await server.GetAsync("/api/2.0/mlflow/experiments/get-by-name?experiment_name=from-evil")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        // Reads are not state-changing; a browser still cannot read them without CORS headers.
        using var read = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/experiments/search?max_results=1");
        read.Headers.Add("Origin", "https://evil.example");
        using var readResponse = await server.Client.SendAsync(read);
        Assert.Equal(HttpStatusCode.OK, readResponse.StatusCode);
        Assert.False(readResponse.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task The_servers_own_pages_localhost_pages_and_non_browser_clients_are_allowed()
    {
        await using var server = await StrataTestServer.StartAsync();
        var own = server.BaseAddress.GetLeftPart(UriPartial.Authority);
        using var fromOwn = await CreateExperimentFrom(server, own, "own");
        using var fromLocalhost = await CreateExperimentFrom(server, "http://localhost:3000", "dev");
        using var fromClient = await CreateExperimentFrom(server, null, "client");
        Assert.Equal(HttpStatusCode.OK, fromOwn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromLocalhost.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromClient.StatusCode);
    }

    [Fact]
    public async Task Allowed_origins_get_cors_headers_and_may_write()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.Security.CorsAllowedOrigins.Add("https://app.example"));
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/2.0/mlflow/experiments/create");
        preflight.Headers.Add("Origin", "https://app.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var answer = await server.Client.SendAsync(preflight);
        Assert.True(answer.IsSuccessStatusCode, $"preflight {(int)answer.StatusCode}");
        Assert.Equal("https://app.example", SecurityHeadersTests.Header(answer, "Access-Control-Allow-Origin"));

        using var write = await CreateExperimentFrom(server, "https://app.example", "from-app");
        Assert.Equal(HttpStatusCode.OK, write.StatusCode);
        Assert.Equal("https://app.example", SecurityHeadersTests.Header(write, "Access-Control-Allow-Origin"));

        using var other = await CreateExperimentFrom(server, "https://other.example", "from-other");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }
}
