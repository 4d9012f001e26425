using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Hardening;

/// <summary>
/// Walks every route the server maps with generated hostile requests and fails on any 5xx or hang: a client's mistake
/// is always a 4xx. Fixed seed in CI; <c>STRATA_FUZZ_ITERATIONS</c> (per route and method) and <c>STRATA_FUZZ_SEED</c>
/// make a longer or different run by hand.
/// </summary>
public sealed class RouteFuzzTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private StrataTestServer Server => fixture.Server;

    [Fact]
    public Task No_generated_request_gets_a_5xx_or_hangs() => FuzzAsync(Server, authorization: null);

    /// <summary>Every route with generated requests, sent with <paramref name="authorization"/> (for servers with <c>--auth</c>).</summary>
    internal static async Task FuzzAsync(StrataTestServer server, string? authorization)
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("STRATA_FUZZ_ITERATIONS"), out var n) ? n : 6;
        var seed = int.TryParse(Environment.GetEnvironmentVariable("STRATA_FUZZ_SEED"), out var s) ? s : 20261203;
        var generator = new RequestGenerator(seed);
        var routes = server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (Method: m, Pattern: e.RoutePattern)))
            .OrderBy(r => r.Pattern.RawText, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();
        Assert.True(routes.Count > 50, $"only {routes.Count} routes found");

        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(20) };
        if (authorization is not null)
        {
            client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }
        var failures = new List<string>();
        foreach (var (method, pattern) in routes)
        {
            for (var i = 0; i < iterations; i++)
            {
                var path = "/" + string.Join("/", pattern.PathSegments.Select(segment => segment.IsSimple && segment.Parts[0] is RoutePatternLiteralPart literal
                    ? literal.Content
                    : generator.RouteValue()));
                using var request = new HttpRequestMessage(new HttpMethod(method), path + (i % 3 == 0 ? generator.Query() : string.Empty));
                byte[]? sent = null;
                if (method is "POST" or "PUT" or "PATCH" or "DELETE" && i % 3 != 0)
                {
                    sent = generator.Body();
                    request.Content = new ByteArrayContent(sent);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                }

                try
                {
                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    if ((int)response.StatusCode >= 500 && response.StatusCode != HttpStatusCode.ServiceUnavailable)
                    {
                        failures.Add($"{method} {request.RequestUri} {Shorten(sent is null ? "" : System.Text.Encoding.UTF8.GetString(sent))} -> {(int)response.StatusCode}: {Shorten(body)}");
                        if (Environment.GetEnvironmentVariable("STRATA_FUZZ_DUMP") is { Length: > 0 } dump)
                        {
                            // Whole failing requests for a by-hand rerun: curl -X METHOD URL --data-binary @file
                            await File.WriteAllBytesAsync(Path.Combine(dump, $"fail-{failures.Count}-{method}.body"), sent ?? []);
                            await File.AppendAllTextAsync(Path.Combine(dump, "failures.txt"), $"fail-{failures.Count}-{method}.body {method} {request.RequestUri}\n");
                        }
                    }
                }
                catch (TaskCanceledException)
                {
                    failures.Add($"{method} {request.RequestUri} -> no answer within 20 s");
                }
                catch (HttpRequestException)
                {
                    // The server answered (e.g. 400 or 413) and closed before the client finished sending a large body;
                    // fine as long as it is still up.
                    using var health = await client.GetAsync("/health");
                    if (health.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Add($"{method} {request.RequestUri} -> connection broken and /health answers {(int)health.StatusCode}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} requests failed (seed {seed}):\n" + string.Join("\n", failures.Distinct().Take(40)));
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
