using System.Text.Json;
using Microsoft.Playwright;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Ui.Tests;

/// <summary>
/// One Strata server and one headless Chromium (Debian's /usr/bin/chromium) per test class. Screenshots go to
/// <c>screenshots/</c> under the test output directory.
/// </summary>
public sealed class UiFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public StrataTestServer Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        Server = await StrataTestServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            ],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }

    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Server.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
        });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    // ---- data through the REST API ----

    public async Task<string> CreateExperimentAsync(string name)
    {
        var response = await Server.PostAsync("/api/2.0/mlflow/experiments/create", new { name });
        return response.Ok().GetProperty("experiment_id").GetString()!;
    }

    public async Task<string> CreateRunAsync(string experimentId, string name, long startTime, object[]? tags = null)
    {
        var response = await Server.PostAsync("/api/2.0/mlflow/runs/create",
            new { experiment_id = experimentId, run_name = name, start_time = startTime, tags = tags ?? [] });
        return response.Ok().GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
    }

    public async Task LogAsync(string runId, object[] metrics, object[] parameters)
    {
        (await Server.PostAsync("/api/2.0/mlflow/runs/log-batch", new { run_id = runId, metrics, @params = parameters })).Ok();
    }

    public async Task FinishAsync(string runId, long endTime) =>
        (await Server.PostAsync("/api/2.0/mlflow/runs/update", new { run_id = runId, status = "FINISHED", end_time = endTime })).Ok();

    public async Task UploadArtifactAsync(string experimentId, string runId, string path, string content)
    {
        using var body = new StringContent(content);
        using var response = await Server.Client.PutAsync($"/api/2.0/mlflow-artifacts/artifacts/{experimentId}/{runId}/artifacts/{path}", body);
        response.EnsureSuccessStatusCode();
    }

    public async Task<JsonElement> PostAsync(string path, object body) => (await Server.PostAsync(path, body)).Ok();
}
