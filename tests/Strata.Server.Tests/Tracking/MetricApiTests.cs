using System.Net;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class MetricApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task NaN_and_infinity_round_trip_as_strings()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "nan", value = "NaN", timestamp = 1 })).Ok();
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "inf", value = "Infinity", timestamp = 1 })).Ok();
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "ninf", value = "-Infinity", timestamp = 1 })).Ok();
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "str", value = "1.5", timestamp = "2", step = "3" })).Ok();

        var metrics = (await Server.GetRunAsync(runId)).GetProperty("data").List("metrics").ToDictionary(m => m.GetProperty("key").GetString()!);
        Assert.Equal("NaN", metrics["nan"].GetProperty("value").GetString());
        Assert.Equal("Infinity", metrics["inf"].GetProperty("value").GetString());
        Assert.Equal("-Infinity", metrics["ninf"].GetProperty("value").GetString());
        Assert.Equal(1.5, metrics["str"].GetProperty("value").GetDouble());
        Assert.Equal(2, metrics["str"].GetProperty("timestamp").GetInt64());
        Assert.Equal(3, metrics["str"].GetProperty("step").GetInt64());

        var history = (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=nan")).Ok();
        Assert.Equal("NaN", Assert.Single(history.List("metrics")).GetProperty("value").GetString());
    }

    [Fact]
    public async Task Metric_value_must_be_numeric_and_timestamp_required()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value = true, timestamp = 1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value = "abc", timestamp = 1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value = 1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "m", value = 1, timestamp = -5 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "../m", value = 1, timestamp = 1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, value = 1, timestamp = 1 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Latest_metric_is_max_step_then_timestamp_and_duplicates_are_ignored()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var points = new (double Value, long Timestamp, long Step)[] { (1, 100, 5), (2, 50, 7), (3, 10, 6), (2, 50, 7) };
        foreach (var (value, timestamp, step) in points)
        {
            (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "loss", value, timestamp, step })).Ok();
        }

        var latest = Assert.Single((await Server.GetRunAsync(runId)).GetProperty("data").List("metrics"));
        Assert.Equal(2, latest.GetProperty("value").GetDouble());
        Assert.Equal(7, latest.GetProperty("step").GetInt64());

        var history = (await Server.GetAsync($"{Api}metrics/get-history?run_uuid={runId}&metric_key=loss")).Ok().List("metrics");
        Assert.Equal(new long[] { 10, 50, 100 }, history.Select(m => m.GetProperty("timestamp").GetInt64()));
    }

    [Fact]
    public async Task History_pages_with_tokens_and_unknown_key_is_empty()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var metrics = Enumerable.Range(0, 25).Select(i => new { key = "acc", value = i / 10.0, timestamp = 1000L + i, step = i }).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics })).Ok();

        var steps = new List<long>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"{Api}metrics/get-history?run_id={runId}&metric_key=acc&max_results=10" + (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}");
            var page = (await Server.GetAsync(url)).Ok();
            steps.AddRange(page.List("metrics").Select(m => m.GetProperty("step").GetInt64()));
            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => (long)i), steps);
        Assert.Equal(3, pages);

        var all = (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=acc")).Ok();
        Assert.Equal(25, all.List("metrics").Count);
        Assert.False(all.TryGetProperty("next_page_token", out _));

        var unknown = (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=nope")).Ok();
        Assert.Equal(JsonValueKind.Object, unknown.ValueKind);
        Assert.False(unknown.TryGetProperty("metrics", out _));

        (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=acc&max_results=10&page_token=%%%garbage")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Bulk_interval_and_ui_bulk_history()
    {
        var runA = await Server.CreateRunIdAsync("0");
        var runB = await Server.CreateRunIdAsync("0");
        foreach (var runId in new[] { runA, runB })
        {
            var metrics = Enumerable.Range(0, 50).Select(i => new { key = "m", value = (double)i, timestamp = 10L * i, step = i }).ToArray();
            (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics })).Ok();
        }

        var interval = (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?run_ids={runA}&run_ids={runB}&metric_key=m&max_results=10")).Ok().List("metrics");
        Assert.Contains(interval, m => m.GetProperty("run_id").GetString() == runA && m.GetProperty("step").GetInt64() == 0);
        Assert.Contains(interval, m => m.GetProperty("run_id").GetString() == runB && m.GetProperty("step").GetInt64() == 49);
        Assert.True(interval.Select(m => m.GetProperty("step").GetInt64()).Distinct().Count() <= 10);

        var ranged = (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?run_ids={runA}&metric_key=m&start_step=5&end_step=9")).Ok().List("metrics");
        Assert.Equal(new long[] { 5, 6, 7, 8, 9 }, ranged.Select(m => m.GetProperty("step").GetInt64()));

        (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?run_ids={runA}&metric_key=m&start_step=5")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?run_ids={runA}&metric_key=m&start_step=9&end_step=5")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?run_ids={runA}&metric_key=m&max_results=2501")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?metric_key=m")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var tooMany = string.Join("&", Enumerable.Range(0, 101).Select(i => $"run_ids={i:x32}"));
        (await Server.GetAsync($"{Api}metrics/get-history-bulk-interval?{tooMany}&metric_key=m")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var bulk = (await Server.GetAsync($"/ajax-api/2.0/mlflow/metrics/get-history-bulk?run_id={runA}&run_id={runB}&metric_key=m&max_results=60")).Ok().List("metrics");
        Assert.Equal(60, bulk.Count);
        Assert.All(bulk.Take(50), m => Assert.Equal(runA, m.GetProperty("run_id").GetString()));
        Assert.All(bulk.Skip(50), m => Assert.Equal(runB, m.GetProperty("run_id").GetString()));
    }
}
