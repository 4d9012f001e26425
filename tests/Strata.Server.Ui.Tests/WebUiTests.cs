using System.Net;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Strata.Server.Ui.Tests;

/// <summary>
/// The web UI in a real browser: data made through the REST API, every page opened, the main paths clicked, and a
/// screenshot of each page saved under screenshots/ in the test output.
/// </summary>
public sealed class WebUiTests(UiFixture ui) : IClassFixture<UiFixture>
{
    private const long T0 = 1_700_000_000_000;

    // Generous: the islands load plotly.js and open a circuit, which takes seconds on a loaded 2-core machine.
    static WebUiTests() => SetDefaultExpectTimeout(30_000);

    private async Task<(string ExperimentId, string[] RunIds)> SeedRunsAsync(string experimentName)
    {
        var exp = await ui.CreateExperimentAsync(experimentName);
        var parent = await ui.CreateRunAsync(exp, "parent-sweep", T0);
        var a = await ui.CreateRunAsync(exp, "lr-small", T0 + 1000, [new { key = "mlflow.parentRunId", value = parent }]);
        var b = await ui.CreateRunAsync(exp, "lr-large", T0 + 2000, [new { key = "mlflow.parentRunId", value = parent }]);
        var c = await ui.CreateRunAsync(exp, "a-run-with-a-rather-long-name-that-should-be-clipped-in-the-table-" + new string('x', 60), T0 + 3000);
        var i = 0;
        foreach (var (run, lr, scale) in new[] { (a, "0.01", 1.0), (b, "0.1", 2.0), (c, "0.5", 3.0) })
        {
            var metrics = Enumerable.Range(0, 200)
                .Select(s => (object)new { key = "loss", value = scale / (s + 1), timestamp = T0 + (s * 1000), step = s })
                .Append(new { key = "accuracy", value = 0.5 + (0.1 * i), timestamp = T0, step = 0 })
                .ToArray();
            await ui.LogAsync(run, metrics, [new { key = "lr", value = lr }, new { key = "model", value = i == 2 ? "tree" : "linear" }]);
            await ui.FinishAsync(run, T0 + 60_000);
            i++;
        }

        return (exp, [parent, a, b, c]);
    }

    [Fact]
    public async Task Root_serves_the_ui_and_unknown_api_paths_still_answer_endpoint_not_found()
    {
        var root = await ui.Server.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, root.StatusCode);
        Assert.Equal("text/html", root.Content.Headers.ContentType?.MediaType);
        (await ui.Server.GetAsync("/api/2.0/mlflow/no-such-endpoint")).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
        (await ui.Server.GetAsync("/ajax-api/2.0/mlflow/no-such-endpoint")).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
        var wrongMethod = await ui.Server.GetAsync("/api/2.0/mlflow/runs/create");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.Status);
        Assert.Equal("ENDPOINT_NOT_FOUND", wrongMethod.ErrorCode);
        (await ui.Server.GetAsync("/no-such-page.js")).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
        (await ui.Server.PostAsync("/api/2.0/mlflow/experiments/search", new { max_results = 1 })).Ok();
        var script = await ui.Server.Client.GetAsync("/_framework/blazor.web.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ui.Server.Client.GetAsync("/_content/Plotly.Blazor/plotly-basic-3.7.0.min.js")).StatusCode);
        Assert.Equal("OK", await ui.Server.Client.GetStringAsync("/health"));
    }

    [Fact]
    public async Task Experiments_can_be_searched_created_renamed_deleted_and_restored()
    {
        var page = await ui.NewPageAsync();
        var name = "exp-ui-" + Guid.NewGuid().ToString("N")[..8];
        await page.GotoAsync("/");
        await page.FillAsync("input[name=NewName]", name);
        await page.ClickAsync("#create-form button[type=submit]");
        await Expect(page.Locator("h1")).ToHaveTextAsync(name); // lands on the new experiment's runs page
        await Expect(page.Locator(".empty")).ToContainTextAsync("No runs");

        await page.GotoAsync("/experiments?q=" + name);
        var row = page.Locator("#experiments tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await row.Locator("a.button", new() { HasText = "Rename" }).ClickAsync();
        await page.FillAsync("input[name=RenameTo]", name + "-renamed");
        await page.ClickAsync("button[form=rename]");
        await Expect(page.Locator("#experiments tbody tr a").First).ToHaveTextAsync(name + "-renamed");
        await UiFixture.ScreenshotAsync(page, "experiments");

        await page.Locator("#experiments tbody tr button.danger").ClickAsync();
        await Expect(page.Locator("#experiments tbody tr")).ToHaveCountAsync(0);
        await page.GotoAsync($"/experiments?q={name}&view=deleted");
        await Expect(page.Locator("#experiments tbody tr .badge.bad")).ToHaveTextAsync("deleted");
        await page.Locator("#experiments tbody tr button", new() { HasText = "Restore" }).ClickAsync();
        await page.GotoAsync($"/experiments?q={name}");
        await Expect(page.Locator("#experiments tbody tr")).ToHaveCountAsync(1);

        await page.FillAsync("input[name=NewName]", name + "-renamed");
        await page.ClickAsync("#create-form button[type=submit]");
        await Expect(page.Locator(".error")).ToContainTextAsync("already exists");
    }

    [Fact]
    public async Task Runs_table_filters_sorts_nests_and_compares()
    {
        var (exp, runs) = await SeedRunsAsync("runs-ui-" + Guid.NewGuid().ToString("N")[..8]);
        var page = await ui.NewPageAsync();
        await page.GotoAsync($"/experiments/{exp}");
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(4);
        // Children follow their parent, indented.
        var names = await page.Locator("#runs tbody td.name a").AllTextContentsAsync();
        Assert.Equal(["parent-sweep", "lr-large", "lr-small"], names.Skip(1).Take(3));
        await Expect(page.Locator("#runs tbody tr.child")).ToHaveCountAsync(2);
        await Expect(page.Locator("#runs thead th.metrics")).ToHaveCountAsync(2);
        await UiFixture.ScreenshotAsync(page, "runs");

        // A valid filter narrows the rows; the state is in the URL.
        await page.FillAsync("#filter", "params.lr = '0.1' and metrics.accuracy > 0.55");
        await page.PressAsync("#filter", "Enter");
        await Expect(page.Locator("#runs tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#runs tbody td.name a")).ToHaveTextAsync("lr-large");
        Assert.Contains("filter=", page.Url, StringComparison.Ordinal);

        // An invalid one shows the parser's message inline.
        await page.FillAsync("#filter", "metrics.loss <<< 1");
        await page.PressAsync("#filter", "Enter");
        await Expect(page.Locator("#filter-error")).ToContainTextAsync("Invalid filter");
        await UiFixture.ScreenshotAsync(page, "runs-invalid-filter");

        // Sort by a metric column, ascending then descending.
        await page.GotoAsync($"/experiments/{exp}");
        await page.ClickAsync("th.metrics a[data-sort='metrics.`accuracy`']");
        await Expect(page.Locator("th a.sort.active")).ToContainTextAsync("▲");
        // Children stay under their parent, in the chosen order.
        Assert.Equal(["lr-small", "lr-large"], await page.Locator("#runs tbody tr.child td.name a").AllTextContentsAsync());
        await page.ClickAsync("th.metrics a[data-sort='metrics.`accuracy`']");
        await Expect(page.Locator("th a.sort.active")).ToContainTextAsync("▼");
        Assert.Equal(["lr-large", "lr-small"], await page.Locator("#runs tbody tr.child td.name a").AllTextContentsAsync());
        Assert.Contains("order=", page.Url, StringComparison.Ordinal);

        // Choose columns: only the lr param.
        await page.ClickAsync("#column-picker summary");
        await Expect(page.Locator("#column-picker input[name=m][value=loss]")).ToBeCheckedAsync();
        await page.GotoAsync($"/experiments/{exp}?p=lr&m=&t=");
        await Expect(page.Locator("#runs thead th.params")).ToHaveCountAsync(1);
        await Expect(page.Locator("#runs thead th.metrics")).ToHaveCountAsync(0);

        // Select two runs and compare.
        await page.CheckAsync($"#runs tr[data-run='{runs[1]}'] input[type=checkbox]");
        await page.CheckAsync($"#runs tr[data-run='{runs[2]}'] input[type=checkbox]");
        await page.ClickAsync("#compare-button");
        await Expect(page.Locator("h1")).ToHaveTextAsync("Compare 2 runs");
        await Expect(page.Locator("#compare-table tr[data-key='params.`lr`'] .badge.diff")).ToHaveCountAsync(1);
        await Expect(page.Locator("#compare-table tr[data-key='params.`model`'] .badge.diff")).ToHaveCountAsync(0);
        await UiFixture.ScreenshotAsync(page, "compare-loading");
        await Expect(page.Locator(".chart-card[data-metric=loss] .js-plotly-plot .main-svg").First).ToBeVisibleAsync();
        await Expect(page.Locator(".parcoords .main-svg").First).ToBeVisibleAsync();
        await Expect(page.Locator(".scatter .main-svg").First).ToBeVisibleAsync();
        await page.ClickAsync("#only-diff");
        await Expect(page.Locator("#compare-table tr[data-key='params.`model`']")).ToHaveCountAsync(0);
        await page.WaitForTimeoutAsync(300); // let plotly finish its transitions before the picture
        await UiFixture.ScreenshotAsync(page, "compare");
    }

    [Fact]
    public async Task Run_page_shows_metrics_charts_and_artifact_previews()
    {
        var (exp, runs) = await SeedRunsAsync("run-ui-" + Guid.NewGuid().ToString("N")[..8]);
        var run = runs[2];
        await ui.UploadArtifactAsync(exp, run, "data/sample.csv", "city,temp\n\"Oslo, NO\",3.5\nLima,19\n");
        await ui.UploadArtifactAsync(exp, run, "notes.txt", "hello from the run");
        await ui.UploadArtifactAsync(exp, run, "config.json", "{\"a\":1,\"b\":[1,2]}");
        var page = await ui.NewPageAsync();
        await page.GotoAsync($"/runs/{run}");
        await Expect(page.Locator("h1")).ToHaveTextAsync("lr-large");
        await Expect(page.Locator("#params tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#metrics tr[data-metric=loss] td.num").First).ToHaveTextAsync("0.01");
        await Expect(page.Locator("#metrics tr[data-metric=loss] svg.spark")).ToHaveCountAsync(1);
        await Expect(page.Locator(".overview")).ToContainTextAsync(runs[0]);

        // Chart: drawn by plotly.js from the lines the page embeds; x axis switch and log scale redraw in place.
        var chart = page.Locator("div.chart-card[data-metric=\"loss\"]");
        await Expect(chart.Locator(".js-plotly-plot .main-svg").First).ToBeVisibleAsync();
        await Expect(page.Locator(".chart-card[data-metric=loss] span.points")).ToHaveTextAsync("200 points");
        await chart.Locator("select.x-axis").SelectOptionAsync("RelativeTime");
        await Expect(chart.Locator(".xtitle")).ToHaveTextAsync("seconds");
        await chart.Locator("input.log-scale").CheckAsync();
        await Expect(chart.Locator(".yaxislayer-above text").First).ToBeVisibleAsync();

        // Artifact browser: folder, CSV as a table, JSON pretty-printed.
        await page.ClickAsync("#artifacts a.entry.dir");
        await page.ClickAsync("#artifacts a.entry.file");
        await Expect(page.Locator("#csv-preview tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#csv-preview tbody tr").First).ToContainTextAsync("Oslo, NO");
        await page.WaitForTimeoutAsync(300);
        await UiFixture.ScreenshotAsync(page, "run");
        await page.GotoAsync($"/runs/{run}?artifact=config.json");
        await Expect(page.Locator("#text-preview")).ToContainTextAsync("\"b\": [");

        // Unknown run: a readable error, not a crash.
        await page.GotoAsync("/runs/" + new string('0', 32));
        await Expect(page.Locator(".error")).ToContainTextAsync("not found");
    }

    [Fact]
    public async Task Registry_pages_show_versions_move_an_alias_and_show_lineage()
    {
        var (exp, runs) = await SeedRunsAsync("reg-ui-" + Guid.NewGuid().ToString("N")[..8]);
        var run = runs[1];
        await ui.UploadArtifactAsync(exp, run, "model/MLmodel", string.Join('\n',
            "artifact_path: model",
            "flavors:",
            "  python_function:",
            "    loader_module: mlflow.sklearn",
            "signature:",
            "  inputs: '[{\"type\": \"double\", \"name\": \"temperature\", \"required\": true}]'",
            "  outputs: '[{\"type\": \"long\", \"required\": true}]'",
            "saved_input_example_info:",
            "  artifact_path: input_example.json",
            "  type: dataframe",
            "  pandas_orient: split",
            ""));
        await ui.UploadArtifactAsync(exp, run, "model/input_example.json", "{\"columns\": [\"temperature\"], \"data\": [[21.5]]}");
        var name = "weather-" + Guid.NewGuid().ToString("N")[..6];
        await ui.PostAsync("/api/2.0/mlflow/registered-models/create", new { name, description = "Predicts tomorrow." });
        await ui.PostAsync("/api/2.0/mlflow/model-versions/create", new { name, source = $"runs:/{run}/model", run_id = run });
        await ui.PostAsync("/api/2.0/mlflow/model-versions/create", new { name, source = $"runs:/{run}/model", run_id = run });
        await ui.PostAsync("/api/2.0/mlflow/registered-models/alias", new { name, alias = "champion", version = "1" });

        var page = await ui.NewPageAsync();
        await page.GotoAsync("/models?q=" + name);
        await Expect(page.Locator("#models tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#models tbody tr")).ToContainTextAsync("@champion → v1");
        await UiFixture.ScreenshotAsync(page, "models");

        await page.ClickAsync($"#models a:text('{name}')");
        await Expect(page.Locator("#versions tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#aliases tr[data-alias=champion]")).ToContainTextAsync("v1");
        // Move the alias to version 2 from the page.
        await page.FillAsync("#alias-form input[name=AliasName]", "champion");
        await page.SelectOptionAsync("#alias-form select[name=AliasVersion]", "2");
        await page.ClickAsync("#alias-form button[type=submit]");
        await Expect(page.Locator("#aliases tr[data-alias=champion]")).ToContainTextAsync("v2");
        // Stage transition and description edit.
        await page.Locator("#versions tr[data-version='2'] button", new() { HasText = "Staging" }).ClickAsync();
        await Expect(page.Locator("#versions tr[data-version='2']")).ToContainTextAsync("Staging");
        await page.ClickAsync("#edit-description");
        await page.FillAsync("textarea[name=Description]", "Predicts tomorrow's temperature.");
        await page.ClickAsync("form button.primary:text('Save')");
        await Expect(page.Locator("#description")).ToHaveTextAsync("Predicts tomorrow's temperature.");
        await UiFixture.ScreenshotAsync(page, "model");

        await page.ClickAsync("#versions a:text('v2')");
        await Expect(page.Locator("#lineage-run")).ToHaveTextAsync("lr-small");
        await Expect(page.Locator("#signature")).ToContainTextAsync("temperature");
        await Expect(page.Locator("#input-example")).ToContainTextAsync("21.5");
        await UiFixture.ScreenshotAsync(page, "model-version");
        await page.ClickAsync("#lineage-run");
        await Expect(page.Locator("#models")).ToContainTextAsync($"{name} v2");
    }
}
