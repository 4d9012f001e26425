using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Strata.Server.Ui.Tests;

/// <summary>
/// Metric charts drawn from the lines the page embeds (no circuit on the way to the first drawing), their controls
/// redrawing through <c>GET /ui/metric-series</c>, and that endpoint's answers to good and bad questions.
/// </summary>
public sealed class MetricChartTests(UiFixture ui) : IClassFixture<UiFixture>
{
    private const long T0 = 1_700_000_000_000;

    static MetricChartTests() => SetDefaultExpectTimeout(30_000);

    private async Task<(string Experiment, string Run)> SeedAsync(int points, string runName = "chart-run")
    {
        var exp = await ui.CreateExperimentAsync("charts-" + Guid.NewGuid().ToString("N")[..8]);
        var run = await ui.CreateRunAsync(exp, runName, T0);
        for (var start = 0; start < points; start += 1000)
        {
            var batch = Enumerable.Range(start, Math.Min(1000, points - start))
                .Select(s => (object)new { key = "loss", value = (s % 2 == 0 ? 2.0 : 1.0) / (s + 1), timestamp = T0 + (s * 500L), step = s })
                .ToArray();
            await ui.LogAsync(run, batch, []);
        }

        return (exp, run);
    }

    [Fact]
    public void Payload_is_plotly_lines_safe_inside_a_script_element()
    {
        List<MetricPoint> history = [new(0, T0, 1), new(1, T0 + 1500, double.NaN), new(2, T0 + 3000, 0.5)];
        List<MetricPoint> finite = [new(0, T0, 1), new(1, T0 + 1500, 2), new(2, T0 + 3000, 0.5)];
        var (json, note) = MetricChartPayload.Write([history], ["</script><b>x"], ChartXAxis.WallTime, 0);
        Assert.DoesNotContain("<", json, StringComparison.Ordinal);
        Assert.Equal("3 points, 2 drawn (LTTB)", note); // LTTB leaves out the non-finite value

        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("time (UTC)", root.GetProperty("title").GetString());
        var line = root.GetProperty("lines")[0];
        Assert.Equal("</script><b>x", line.GetProperty("name").GetString());
        Assert.Equal(["2023-11-14 22:13:20.000", "2023-11-14 22:13:23.000"], line.GetProperty("x").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(new[] { 1, 0.5 }, line.GetProperty("y").EnumerateArray().Select(y => y.GetDouble()));

        var relative = JsonDocument.Parse(MetricChartPayload.Write([finite], null, ChartXAxis.RelativeTime, 0).Json).RootElement;
        Assert.Equal(new[] { 0, 1.5, 3 }, relative.GetProperty("lines")[0].GetProperty("x").EnumerateArray().Select(x => x.GetDouble()));
        Assert.False(relative.GetProperty("lines")[0].TryGetProperty("name", out _));
    }

    [Fact]
    public async Task Series_endpoint_cuts_smooths_and_rejects_bad_questions_with_400()
    {
        var (_, run) = await SeedAsync(3000);
        var plain = (await ui.Server.GetAsync($"/ui/metric-series?run_id={run}&key=loss")).Ok();
        Assert.Equal("3,000 points, 1,000 drawn (LTTB)", plain.GetProperty("note").GetString());
        var x = plain.GetProperty("lines")[0].GetProperty("x");
        Assert.Equal(MetricSeriesReader.ChartPoints, x.GetArrayLength());
        Assert.Equal(0, x[0].GetDouble());
        Assert.Equal(2999, x[x.GetArrayLength() - 1].GetDouble());

        var smoothed = (await ui.Server.GetAsync($"/ui/metric-series?run_id={run}&run_id={run}&key=loss&x=RelativeTime&smoothing=0.9")).Ok();
        Assert.Equal("seconds", smoothed.GetProperty("title").GetString());
        Assert.Equal(2, smoothed.GetProperty("lines").GetArrayLength());
        var y = smoothed.GetProperty("lines")[0].GetProperty("y");
        var rawY = plain.GetProperty("lines")[0].GetProperty("y");
        Assert.NotEqual(rawY[10].GetDouble(), y[10].GetDouble());

        (await ui.Server.GetAsync("/ui/metric-series?key=loss")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await ui.Server.GetAsync($"/ui/metric-series?run_id={run}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await ui.Server.GetAsync($"/ui/metric-series?run_id={run}&key=loss&x=sideways")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await ui.Server.GetAsync($"/ui/metric-series?run_id={run}&key=loss&smoothing=1")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await ui.Server.GetAsync($"/ui/metric-series?run_id={run}&key=loss&smoothing=NaN")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var tooMany = string.Join("&", Enumerable.Repeat("run_id=" + run, UiMetricSeriesApi.MaxRuns + 1));
        (await ui.Server.GetAsync($"/ui/metric-series?{tooMany}&key=loss")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await ui.Server.GetAsync($"/ui/metric-series?run_id={new string('0', 32)}&key=loss")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Run_page_draws_without_a_circuit_and_its_controls_redraw_in_place()
    {
        var (_, run) = await SeedAsync(5000, "no-socket </script> run");
        var page = await ui.NewPageAsync();

        // No Blazor circuit at all: the first drawing must come from the page alone.
        var circuitAsks = 0;
        await page.RouteAsync("**/_blazor**", route =>
        {
            Interlocked.Increment(ref circuitAsks);
            return route.AbortAsync();
        });
        await page.GotoAsync($"/runs/{run}");
        var chart = page.Locator("div.chart-card[data-metric=\"loss\"]");
        await Expect(chart.Locator(".js-plotly-plot .main-svg .scatterlayer .trace")).ToHaveCountAsync(1);
        await Expect(chart.Locator("span.points")).ToHaveTextAsync("5,000 points, 1,000 drawn (LTTB)");
        Assert.Equal(0, Volatile.Read(ref circuitAsks));
        var rawPath = await chart.Locator(".scatterlayer .trace path.js-line").GetAttributeAsync("d");

        // Smoothing: the line is read again on the server and redrawn in the same plot.
        await chart.Locator("input.smoothing").FillAsync("0.9");
        await Expect(chart.Locator(".scatterlayer .trace path.js-line")).Not.ToHaveAttributeAsync("d", rawPath!);
        await Expect(chart.Locator(".js-plotly-plot")).ToHaveCountAsync(1);

        // Wall time, then log scale on the lines at hand.
        await chart.Locator("select.x-axis").SelectOptionAsync("WallTime");
        await Expect(chart.Locator(".xtitle")).ToHaveTextAsync("time (UTC)");
        await chart.Locator("input.log-scale").CheckAsync();
        await Expect(chart.Locator(".yaxislayer-above text").First).ToBeVisibleAsync();
        await Expect(chart.Locator(".chart-error")).ToBeHiddenAsync();

        // Hover values: the pointer over the middle of the drawn line brings up plotly's label.
        var at = await chart.Locator(".scatterlayer .trace path.js-line").EvaluateAsync<double[]>(
            "el => { const p = el.getPointAtLength(el.getTotalLength() / 2), m = el.getScreenCTM(); return [p.x * m.a + p.y * m.c + m.e, p.x * m.b + p.y * m.d + m.f]; }");
        await page.Mouse.MoveAsync((float)at[0], (float)at[1]);
        await Expect(chart.Locator(".hoverlayer .hovertext")).ToHaveCountAsync(1);
        await UiFixture.ScreenshotAsync(page, "run-chart-no-circuit");
    }
}
