using System.Net;
using Strata.Server.Auth;
using Strata.Server.Hosting;
using Strata.Server.Tests.Auth;

namespace Strata.Server.Tests.Ui;

/// <summary>
/// OpenID Connect sign-in end to end against <see cref="TestOpenIdProvider"/>: the code flow with PKCE through the
/// browser's redirects, the Strata user made at first sign-in (not admin unless listed, no password), and the
/// permissions it then has like any user.
/// </summary>
public sealed class OidcSignInTests : IAsyncLifetime
{
    private TestOpenIdProvider _provider = null!;
    private AuthTestServer _auth = null!;

    public async Task InitializeAsync()
    {
        _provider = await TestOpenIdProvider.StartAsync();
        _auth = await AuthTestServer.StartAsync(o =>
        {
            o.Auth.Oidc.Authority = _provider.Authority;
            o.Auth.Oidc.ClientId = TestOpenIdProvider.ClientId;
            o.Auth.Oidc.ClientSecret = TestOpenIdProvider.ClientSecret;
            o.Auth.Oidc.DisplayName = "Test IdP";
            o.Auth.Oidc.AdminUsers.Add("oidc-boss");
        });
    }

    public async Task DisposeAsync()
    {
        await _auth.DisposeAsync();
        await _provider.DisposeAsync();
    }

    /// <summary>Follows redirects like a browser (across the two servers), returning the last answer and the path taken.</summary>
    private static async Task<(UiBrowser.Page Page, List<Uri> Hops)> FollowAsync(UiBrowser browser, string start)
    {
        var hops = new List<Uri>();
        var url = new Uri(browser.Http.BaseAddress!, start);
        for (var i = 0; i < 10; i++)
        {
            hops.Add(url);
            using var response = await browser.Http.GetAsync(url);
            var page = await UiBrowser.Page.ReadAsync(response);
            if (page.Status is not (HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther) || page.Location is null)
            {
                return (page, hops);
            }

            url = page.Location.IsAbsoluteUri ? page.Location : new Uri(url, page.Location);
        }

        throw new InvalidOperationException("too many redirects: " + string.Join(" -> ", hops));
    }

    [Fact]
    public async Task Signing_in_through_the_provider_creates_a_non_admin_user_with_the_default_permission()
    {
        var experiment = (await _auth.Admin.PostAsync("/api/2.0/mlflow/experiments/create", new { name = "oidc-visible" })).Ok().GetProperty("experiment_id").GetString()!;
        _provider.NextUser = new Dictionary<string, object> { ["sub"] = "00u-42", ["preferred_username"] = "oidc-alice", ["email"] = "alice@example.com" };
        using var browser = new UiBrowser(_auth.Server.BaseAddress);

        var signInPage = await browser.GetAsync("/signin?returnUrl=%2Fexperiments");
        Assert.Contains("Sign in with Test IdP", signInPage.Html, StringComparison.Ordinal);
        Assert.Contains("href=\"/signin/oidc?returnUrl=%2Fexperiments\"", signInPage.Html, StringComparison.Ordinal);

        var (page, hops) = await FollowAsync(browser, "/signin/oidc?returnUrl=%2Fexperiments");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal("/experiments", hops[^1].AbsolutePath);
        Assert.Contains(hops, h => h.AbsolutePath == OidcOptions.CallbackPath);
        Assert.Contains("id=\"signed-in-as\">oidc-alice<", page.Html, StringComparison.Ordinal);
        Assert.Contains("oidc-visible", page.Html, StringComparison.Ordinal);
        Assert.Equal(1, _provider.RedeemedCodes);

        // The authorization code flow with PKCE (S256), the redirect URI under /signin-oidc.
        var authorize = Assert.Single(_provider.AuthorizeRequests);
        Assert.Equal("code", authorize["response_type"]);
        Assert.Equal("S256", authorize["code_challenge_method"]);
        Assert.Equal(new Uri(_auth.Server.BaseAddress, OidcOptions.CallbackPath).ToString(), authorize["redirect_uri"]);

        var user = (await _auth.Admin.GetAsync("/api/2.0/mlflow/users/get?username=oidc-alice")).Ok().GetProperty("user");
        Assert.False(user.GetProperty("is_admin").GetBoolean());
        // No password was set: none works.
        (await _auth.Basic("oidc-alice", "oidc").GetAsync("/api/2.0/strata/users/current")).IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");

        // Like any user: the default permission (READ here) reads; MANAGE is not had, so the delete button is hidden.
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/experiments/{experiment}")).Status);
        Assert.DoesNotContain($"delete:{experiment}", page.Html, StringComparison.Ordinal);

        // Signing in again matches the same user.
        using var again = new UiBrowser(_auth.Server.BaseAddress);
        var (second, _) = await FollowAsync(again, "/signin/oidc?returnUrl=%2Fmodels");
        Assert.Contains("id=\"signed-in-as\">oidc-alice<", second.Html, StringComparison.Ordinal);
        Assert.Equal(user.GetProperty("id").GetInt64(),
            (await _auth.Admin.GetAsync("/api/2.0/mlflow/users/get?username=oidc-alice")).Ok().GetProperty("user").GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task A_listed_user_becomes_admin_and_the_username_falls_back_to_email()
    {
        _provider.NextUser = new Dictionary<string, object> { ["sub"] = "00u-1", ["preferred_username"] = "oidc-boss" };
        using (var boss = new UiBrowser(_auth.Server.BaseAddress))
        {
            var (page, _) = await FollowAsync(boss, "/signin/oidc");
            Assert.Contains("id=\"signed-in-as\">oidc-boss<", page.Html, StringComparison.Ordinal);
        }

        Assert.True((await _auth.Admin.GetAsync("/api/2.0/mlflow/users/get?username=oidc-boss")).Ok().GetProperty("user").GetProperty("is_admin").GetBoolean());

        _provider.NextUser = new Dictionary<string, object> { ["sub"] = "00u-2", ["email"] = "carol@example.com" };
        using var carol = new UiBrowser(_auth.Server.BaseAddress);
        var (carolPage, _) = await FollowAsync(carol, "/signin/oidc");
        Assert.Contains("id=\"signed-in-as\">carol@example.com<", carolPage.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forged_callback_is_refused_and_the_browser_lands_on_the_sign_in_page_signed_out()
    {
        using var browser = new UiBrowser(_auth.Server.BaseAddress);
        var (page, _) = await FollowAsync(browser, OidcOptions.CallbackPath + "?code=made-up&state=made-up");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains("Sign-in with Test IdP did not succeed", page.Html, StringComparison.Ordinal);
        Assert.Equal(0, _provider.RedeemedCodes);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/experiments")).Status);
    }

    [Fact]
    public void The_server_refuses_to_start_with_an_authority_but_no_client_id()
    {
        var options = new StrataServerOptions();
        options.Auth.Enabled = true;
        options.Auth.Oidc.Authority = "https://login.example.com";
        var e = Assert.Throws<StrataConfigurationException>(options.Validate);
        Assert.Contains("--oidc-client-id", e.Message, StringComparison.Ordinal);

        options.Auth.Oidc.ClientId = "x";
        options.Auth.Oidc.Authority = "http://login.example.com";
        Assert.Contains("https", Assert.Throws<StrataConfigurationException>(options.Validate).Message, StringComparison.Ordinal);

        options.Auth.Enabled = false;
        options.Auth.Oidc.Authority = "https://login.example.com";
        Assert.Contains("--auth", Assert.Throws<StrataConfigurationException>(options.Validate).Message, StringComparison.Ordinal);
    }
}
