using Microsoft.Playwright;
using Strata.Server.Tests.Auth;

namespace Strata.Server.Ui.Tests;

/// <summary>The password sign-in page in a real browser (with <c>--auth</c>): redirect there, sign in, come back, sign out.</summary>
public sealed class SignInUiTests : IAsyncLifetime
{
    private readonly UiFixture _browser = new();
    private AuthTestServer _auth = null!;

    public async Task InitializeAsync()
    {
        await _browser.InitializeAsync();
        _auth = await AuthTestServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _auth.DisposeAsync();
        await _browser.DisposeAsync();
    }

    [Fact]
    public async Task A_user_is_sent_to_sign_in_signs_in_with_a_password_and_signs_out()
    {
        (await _auth.Admin.PostAsync("/api/2.0/mlflow/experiments/create", new { name = "signed-in-experiment" })).Ok();
        await _auth.UserAsync("ui-viewer", "viewer-password");
        var context = await _browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = _auth.Server.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();

        await page.GotoAsync("/experiments");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?returnUrl=%2Fexperiments$"));
        await page.FillAsync("input[name=Username]", "ui-viewer");
        await page.FillAsync("input[name=Password]", "wrong-password");
        await page.ClickAsync("#signin-form button[type=submit]");
        await Assertions.Expect(page.Locator("#signin-error")).ToHaveTextAsync("Invalid username or password.");

        await page.FillAsync("input[name=Password]", "viewer-password");
        await UiFixture.ScreenshotAsync(page, "signin");
        await page.ClickAsync("#signin-form button[type=submit]");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/experiments$"));
        await Assertions.Expect(page.Locator("#signed-in-as")).ToHaveTextAsync("ui-viewer");
        await Assertions.Expect(page.Locator("#experiments")).ToContainTextAsync("signed-in-experiment");
        await UiFixture.ScreenshotAsync(page, "signed-in-experiments");

        await page.ClickAsync("#sign-out");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin$"));
        await page.GotoAsync("/experiments");
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?returnUrl="));
        await context.CloseAsync();
    }
}
