// Time to first complete screen of the web UI, measured in headless Chromium:
//   runs page of an experiment with 10,000 runs (first page of 100 rows drawn), and
//   run page whose metric has 100,000 points (tables, sparklines and the interactive chart drawn).
// Baseline in the same run: the browser loading /health (a bare text page) from the same server.
// Usage: dotnet run -c Release --project bench/Strata.Bench.Ui [-- runs points repeats]
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Strata.Server;
using Strata.Server.Hosting;

var runCount = args.Length > 0 ? int.Parse(args[0]) : 10_000;
var pointCount = args.Length > 1 ? int.Parse(args[1]) : 100_000;
var repeats = args.Length > 2 ? int.Parse(args[2]) : 7;

var dir = Directory.CreateTempSubdirectory("strata-bench-ui-").FullName;
var options = new StrataServerOptions
{
    Host = "127.0.0.1", Port = 0,
    BackendStoreUri = "sqlite:///" + Path.Combine(dir, "strata.db"),
    ArtifactsDestination = Path.Combine(dir, "artifacts"),
};
await using var app = await StrataServer.BuildAsync(options, configure: b => b.Logging.ClearProviders());
await app.StartAsync();
var baseUrl = app.ListeningAddresses().First();
using var http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(5) };

async Task<JsonElement> Post(string path, object body)
{
    using var response = await http.PostAsJsonAsync("/api/2.0/mlflow/" + path, body);
    response.EnsureSuccessStatusCode();
    return await response.Content.ReadFromJsonAsync<JsonElement>();
}

const long T0 = 1_700_000_000_000;
var seed = Stopwatch.StartNew();
var exp = (await Post("experiments/create", new { name = "bench-10k" })).GetProperty("experiment_id").GetString()!;
var created = 0;
await Parallel.ForEachAsync(Enumerable.Range(0, runCount), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
{
    var run = await Post("runs/create", new { experiment_id = exp, run_name = $"run-{i:D5}", start_time = T0 + i });
    var id = run.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
    await Post("runs/log-batch", new
    {
        run_id = id,
        metrics = new object[] { new { key = "loss", value = 1.0 / (i + 1), timestamp = T0 + i, step = 0 }, new { key = "accuracy", value = i % 100 / 100.0, timestamp = T0 + i, step = 0 } },
        @params = new object[] { new { key = "lr", value = (i % 10 * 0.01).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) }, new { key = "model", value = i % 2 == 0 ? "linear" : "tree" } },
    });
    Interlocked.Increment(ref created);
});

var longExp = (await Post("experiments/create", new { name = "bench-100k-points" })).GetProperty("experiment_id").GetString()!;
var longRun = (await Post("runs/create", new { experiment_id = longExp, run_name = "long-history", start_time = T0 })).GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
for (var start = 0; start < pointCount; start += 1000)
{
    var batch = Enumerable.Range(start, Math.Min(1000, pointCount - start))
        .Select(s => (object)new { key = "loss", value = Math.Exp(-s / 20000.0) + (0.05 * Math.Sin(s / 50.0)), timestamp = T0 + s, step = s }).ToArray();
    await Post("runs/log-batch", new { run_id = longRun, metrics = batch });
}

Console.WriteLine($"seeded {created} runs and a {pointCount}-point metric in {seed.Elapsed.TotalSeconds:0.0} s");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium", Headless = true,
    Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});

// Each sample is a fresh browser context (cold cache), from navigation start until the screen's last element is visible.
async Task<double> Measure(string url, string doneSelector, int expectedCount)
{
    await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
    var page = await context.NewPageAsync();
    var sw = Stopwatch.StartNew();
    await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
    await page.WaitForFunctionAsync("([s, n]) => document.querySelectorAll(s).length >= n", new object[] { doneSelector, expectedCount },
        new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 5 });
    return sw.Elapsed.TotalMilliseconds;
}

async Task<(double Median, double Min)> Sample(string url, string selector, int count)
{
    await Measure(url, selector, count); // warm-up: JIT, connection pools, SQLite page cache
    var times = new List<double>();
    for (var i = 0; i < repeats; i++)
    {
        times.Add(await Measure(url, selector, count));
    }

    times.Sort();
    return (times[times.Count / 2], times[0]);
}

var baseline = await Sample("/health", "body", 1);
var runsPage = await Sample($"/experiments/{exp}", "#runs tbody tr", 100);
var runPage = await Sample($"/runs/{longRun}", ".chart-card[data-metric=\"loss\"] .js-plotly-plot .main-svg .scatterlayer .trace", 1);

Console.WriteLine($"{"screen",-52} {"median ms",10} {"min ms",8} {"x baseline",11}");
void Row(string name, (double Median, double Min) r) =>
    Console.WriteLine($"{name,-52} {r.Median,10:0} {r.Min,8:0} {r.Median / baseline.Median,11:0.0}");
Row("baseline: /health in the browser", baseline);
Row($"runs page, experiment of {runCount:N0} runs (100 rows)", runsPage);
Row($"run page, metric of {pointCount:N0} points (chart drawn)", runPage);

// Where the run page's time goes, from the browser's own timings of one more cold load.
await using (var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1400, Height = 900 } }))
{
    var page = await context.NewPageAsync();
    await page.GotoAsync($"/runs/{longRun}", new PageGotoOptions { WaitUntil = WaitUntilState.Commit });
    await page.WaitForFunctionAsync("s => document.querySelector(s) !== null", ".chart-card[data-metric=\"loss\"] .js-plotly-plot .main-svg .scatterlayer .trace",
        new PageWaitForFunctionOptions { Timeout = 60_000, PollingInterval = 5 });
    var drawn = await page.EvaluateAsync<double>("() => performance.now()");
    var nav = await page.EvaluateAsync<JsonElement>("() => { const n = performance.getEntriesByType('navigation')[0]; return { ttfb: n.responseStart, html: n.responseEnd, dom: n.domContentLoadedEventEnd }; }");
    var resources = await page.EvaluateAsync<JsonElement>(
        "() => performance.getEntriesByType('resource').map(r => ({ name: r.name.replace(location.origin, ''), start: r.startTime, end: r.responseEnd, wire: r.transferSize, body: r.decodedBodySize }))");
    Console.WriteLine();
    Console.WriteLine("run page, one cold load (ms since navigation start):");
    Console.WriteLine($"  first byte {nav.GetProperty("ttfb").GetDouble(),7:0}   html done {nav.GetProperty("html").GetDouble(),7:0}   DOM ready {nav.GetProperty("dom").GetDouble(),7:0}   chart drawn {drawn,7:0}");
    foreach (var r in resources.EnumerateArray())
    {
        var name = r.GetProperty("name").GetString()!;
        Console.WriteLine($"  {(name.Length > 60 ? name[..60] : name),-60} {r.GetProperty("start").GetDouble(),7:0} → {r.GetProperty("end").GetDouble(),7:0}  {r.GetProperty("wire").GetDouble() / 1024,8:0} KB on the wire, {r.GetProperty("body").GetDouble() / 1024,6:0} KB");
    }
}

await app.StopAsync();
try { Directory.Delete(dir, true); } catch (IOException) { }
