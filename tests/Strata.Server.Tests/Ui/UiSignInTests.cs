using System.Net;
using Strata.Server.Auth;

namespace Strata.Server.Tests.Ui;

/// <summary>
/// Signing in to the UI with <c>--auth</c>: the password form (antiforgery, throttle), the session cookie's flags and
/// reach (pages and API reads, never API writes), the redirect of pages versus the API's 401, and signing out.
/// </summary>
public class UiSignInTests(UiAuthFixture fixture) : IClassFixture<UiAuthFixture>
{
    private Uri Base => fixture.Auth.Server.BaseAddress;

    [Fact]
    public async Task An_anonymous_page_request_is_sent_to_sign_in_while_the_api_answers_401_json()
    {
        using var browser = new UiBrowser(Base);
        var page = await browser.GetAsync("/experiments?view=all");
        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.Equal("/signin?returnUrl=%2Fexperiments%3Fview%3Dall", page.Location!.OriginalString);

        // The API never redirects, even for a client that asks for HTML.
        using var api = await browser.Http.GetAsync("/api/2.0/mlflow/experiments/search?max_results=1");
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        Assert.Equal("application/json", api.Content.Headers.ContentType?.MediaType);
        Assert.Contains("UNAUTHENTICATED", await api.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var signIn = await browser.GetAsync("/signin");
        Assert.Equal(HttpStatusCode.OK, signIn.Status);
        Assert.Contains("id=\"signin-form\"", signIn.Html, StringComparison.Ordinal);
        Assert.NotNull(signIn.AntiforgeryToken);
        Assert.DoesNotContain("oidc-signin", signIn.Html, StringComparison.Ordinal); // no provider configured
    }

    [Fact]
    public async Task Signing_in_sets_an_httponly_samesite_lax_session_and_signing_out_ends_it()
    {
        await fixture.Auth.UserAsync("ui-alice", "alice-password");
        using var browser = new UiBrowser(Base);
        var signedIn = await browser.SignInAsync("ui-alice", "alice-password", returnUrl: "/models?q=x");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        Assert.Equal(new Uri(Base, "/models?q=x"), new Uri(Base, signedIn.Location!));
        var cookie = Assert.Single(signedIn.SetCookies, c => c.StartsWith(UiSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie, StringComparison.OrdinalIgnoreCase); // plain HTTP here; Secure on HTTPS
        Assert.DoesNotContain("expires", cookie, StringComparison.OrdinalIgnoreCase); // a browser-session cookie

        var models = await browser.GetAsync("/models");
        Assert.Equal(HttpStatusCode.OK, models.Status);
        Assert.Contains("id=\"signed-in-as\">ui-alice<", models.Html, StringComparison.Ordinal);

        // As the top bar's form does: its token was issued on a signed-in page.
        var signedOut = await browser.SubmitAsync("/signout", "signout", []);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.Status);
        Assert.Equal(new Uri(Base, UiSessions.SignInPath), new Uri(Base, signedOut.Location!));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/models")).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/signout")).Status); // nothing to sign out of
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_repeated_failures_lock_the_user_out()
    {
        await fixture.Auth.UserAsync("ui-bob", "bob-password");
        using var browser = new UiBrowser(Base);
        for (var i = 0; i < 5; i++)
        {
            var refused = await browser.SignInAsync("ui-bob", "not-the-password");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            Assert.Contains("Invalid username or password.", refused.Html, StringComparison.Ordinal);
            Assert.DoesNotContain(refused.SetCookies, c => c.StartsWith(UiSessions.CookieName + "=", StringComparison.Ordinal));
        }

        // The same throttle as basic auth: locked out now, even with the right password, and the API agrees.
        var locked = await browser.SignInAsync("ui-bob", "bob-password");
        Assert.Equal(HttpStatusCode.TooManyRequests, locked.Status);
        Assert.Contains("Too many failed sign-in attempts", locked.Html, StringComparison.Ordinal);
        (await fixture.Auth.Basic("ui-bob", "bob-password").GetAsync("/api/2.0/strata/users/current"))
            .IsError(HttpStatusCode.TooManyRequests, "REQUEST_LIMIT_EXCEEDED");
    }

    [Fact]
    public async Task A_sign_in_post_without_the_antiforgery_token_is_rejected()
    {
        await fixture.Auth.UserAsync("ui-dave", "dave-password");
        using var browser = new UiBrowser(Base);
        var forged = await browser.SubmitAsync("/signin", "signin", [new("Username", "ui-dave"), new("Password", "dave-password")], withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, forged.Status);
        Assert.DoesNotContain(forged.SetCookies, c => c.StartsWith(UiSessions.CookieName + "=", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/experiments")).Status);
    }

    [Fact]
    public async Task The_session_reads_the_api_but_never_writes_it()
    {
        await fixture.Auth.UserAsync("ui-carol", "carol-password");
        using var browser = new UiBrowser(Base);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync("ui-carol", "carol-password")).Status);

        using var read = await browser.Http.GetAsync("/api/2.0/strata/users/current");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Contains("ui-carol", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A write with only the cookie is anonymous: a page of another site cannot act with the browser's session.
        using var write = await browser.Http.PostAsync("/api/2.0/mlflow/experiments/create", new StringContent("{\"name\":\"cookie-write\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
        (await fixture.Auth.Admin.GetAsync("/api/2.0/mlflow/experiments/get-by-name?experiment_name=cookie-write"))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_deleted_users_session_ends_and_return_urls_stay_on_this_server()
    {
        await fixture.Auth.UserAsync("ui-erin", "erin-password");
        using var browser = new UiBrowser(Base);
        var offsite = await browser.SignInAsync("ui-erin", "erin-password", returnUrl: "//evil.example/x");
        Assert.Equal(new Uri(Base, "/"), new Uri(Base, offsite.Location!));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/experiments")).Status);

        (await fixture.Auth.Admin.DeleteAsync("/api/2.0/mlflow/users/delete", new { username = "ui-erin" })).Ok();
        Assert.Equal(HttpStatusCode.Redirect, (await browser.GetAsync("/experiments")).Status);
    }
}
