using System.Net;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Security;

public sealed class SecurityHeadersTests
{
    [Fact]
    public async Task Every_answer_carries_the_security_headers_including_errors()
    {
        await using var server = await StrataTestServer.StartAsync();
        using var ok = await server.Client.GetAsync("/api/2.0/mlflow/experiments/search?max_results=1");
        using var error = await server.Client.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=12345");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        foreach (var response in new[] { ok, error })
        {
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("SAMEORIGIN", Header(response, "X-Frame-Options"));
            Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
            Assert.Null(Header(response, "Strict-Transport-Security"));
        }
    }

    [Fact]
    public async Task Frame_options_none_leaves_the_header_out()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.Security.XFrameOptions = "NONE");
        using var response = await server.Client.GetAsync("/health");
        Assert.Null(Header(response, "X-Frame-Options"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
    }

    internal static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(",", values)
            : null;
}
