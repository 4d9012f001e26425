using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Strata.Server.Auth;

namespace Strata.Server.Tests.Auth;

/// <summary>
/// Every endpoint the server maps has a rule in <see cref="AccessRules"/>: a new route without one fails here, so no
/// endpoint ships open (at run time it would be admin-only). Also: only health checks and the sign-in pages are public.
/// </summary>
public class AccessRulesCoverageTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    [Fact]
    public void Every_mapped_endpoint_has_an_authorization_rule()
    {
        var endpoints = fixture.Auth.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.True(endpoints.Count > 150, $"only {endpoints.Count} endpoints found");
        var missing = endpoints
            .Where(e => AccessRules.Find(e) is null)
            .Select(e => $"{string.Join(",", e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"])} {e.RoutePattern.RawText}")
            .Distinct()
            .ToList();
        Assert.True(missing.Count == 0, "Endpoints without a rule in AccessRules:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void Only_health_and_version_probes_and_the_uis_static_files_are_public()
    {
        var endpoints = fixture.Auth.Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        static bool IsStaticFile(RouteEndpoint e) =>
            e.Metadata.Any(m => m.GetType().FullName == "Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor");
        var open = endpoints.Where(e => AccessRules.Find(e)?.Kind == AccessKind.Public && !IsStaticFile(e))
            .Select(e => AccessRules.Normalize(e.RoutePattern.RawText!)).Distinct().Order().ToList();
        // The UI's sign-in and sign-out pages (and the OpenID Connect start, when configured) are open too.
        Assert.All(open, p => Assert.Matches("^/(health|version|v2/health/(live|ready)|signin|signin/oidc)$", p));

        // Static files are only stylesheets, scripts and their compressed copies, never a page or data.
        var files = endpoints.Where(IsStaticFile).Select(e => AccessRules.Normalize(e.RoutePattern.RawText!)).ToList();
        Assert.NotEmpty(files);
        Assert.All(files, p => Assert.Matches(@"\.(css|js|map)(\.gz|\.br)?$", p));
    }

    [Theory]
    [InlineData("/ajax-api/2.0/mlflow/runs/get", "/api/2.0/mlflow/runs/get")]
    [InlineData("/api/2.0/mlflow/webhooks/", "/api/2.0/mlflow/webhooks")]
    [InlineData("health", "/health")]
    [InlineData("/", "/")]
    public void Patterns_normalize_to_the_tables_form(string raw, string expected) => Assert.Equal(expected, AccessRules.Normalize(raw));
}
