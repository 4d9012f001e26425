using System.Net;
using Strata.Server.Security;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Security;

public sealed class RateLimitTests
{
    [Fact]
    public async Task Over_the_limit_a_caller_gets_429_with_retry_after_and_probes_are_never_limited()
    {
        await using var server = await StrataTestServer.StartAsync(o => o.Security.RateLimit = new RateLimitSetting(5, TimeSpan.FromMinutes(1)));
        for (var i = 0; i < 5; i++)
        {
            (await server.GetAsync("/api/2.0/mlflow/experiments/search?max_results=1")).Ok();
        }

        using var limited = await server.Client.GetAsync("/api/2.0/mlflow/experiments/search?max_results=1");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.Contains("REQUEST_LIMIT_EXCEEDED", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(limited.Headers.RetryAfter);

        for (var i = 0; i < 10; i++)
        {
            using var health = await server.Client.GetAsync("/health");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    [Fact]
    public async Task Callers_are_told_apart_by_the_forwarded_address_of_a_trusted_proxy()
    {
        await using var server = await StrataTestServer.StartAsync(o =>
        {
            o.Security.RateLimit = new RateLimitSetting(2, TimeSpan.FromMinutes(1));
            o.Security.ForwardedAllowIps.Add("127.0.0.1");
        });

        async Task<HttpStatusCode> From(string address)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/experiments/search?max_results=1");
            request.Headers.Add("X-Forwarded-For", address);
            using var response = await server.Client.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await From("203.0.113.5"));
        Assert.Equal(HttpStatusCode.OK, await From("203.0.113.5"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await From("203.0.113.5"));
        Assert.Equal(HttpStatusCode.OK, await From("198.51.100.7"));
    }

    [Fact]
    public async Task Forwarded_headers_from_an_untrusted_sender_are_ignored()
    {
        await using var server = await StrataTestServer.StartAsync(o =>
        {
            o.Security.RateLimit = new RateLimitSetting(2, TimeSpan.FromMinutes(1));
            o.Security.ForwardedAllowIps.Add("10.0.0.0/8");
        });
        var statuses = new List<HttpStatusCode>();
        foreach (var address in new[] { "203.0.113.1", "203.0.113.2", "203.0.113.3" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/2.0/mlflow/experiments/search?max_results=1");
            request.Headers.Add("X-Forwarded-For", address);
            using var response = await server.Client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        // 127.0.0.1 is not in 10.0.0.0/8: all three count against the one real client.
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Theory]
    [InlineData("100/s", 100, 1)]
    [InlineData("6000/m", 6000, 60)]
    [InlineData("50", 50, 1)]
    [InlineData(" 7 / h ", 7, 3600)]
    public void Settings_parse(string text, int permits, int seconds)
    {
        var setting = RateLimitSetting.Parse(text, "--rate-limit");
        Assert.Equal(permits, setting.Permits);
        Assert.Equal(TimeSpan.FromSeconds(seconds), setting.Period);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0/s")]
    [InlineData("-1/s")]
    [InlineData("ten/s")]
    [InlineData("10/week")]
    public void Bad_settings_name_the_flag(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => RateLimitSetting.Parse(text, "--rate-limit"));
        Assert.StartsWith("--rate-limit", e.Message, StringComparison.Ordinal);
    }
}
