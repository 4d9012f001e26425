using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Tracking;
using Strata.Server.Tests.Infrastructure;
using Strata.Server.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Tests.Tracking;

/// <summary>The streamed get-history body must be byte-for-byte what the buffered writer produces.</summary>
public sealed class MetricHistoryStreamTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Streamed_history_pages_match_the_buffered_bytes()
    {
        var runId = await Server.CreateRunIdAsync("0");
        // 900 points (~100 KB) so a page crosses the writer's 32 KB flush point several times; non-finite
        // values, fractions and the 3.x optional fields on some points.
        var metrics = Enumerable.Range(0, 900).Select(i => new Dictionary<string, object?>
        {
            ["key"] = "loss/val",
            ["value"] = (i % 7) switch { 0 => "NaN", 1 => "Infinity", 2 => "-Infinity", _ => (object)(i / 3.0) },
            ["timestamp"] = 1_700_000_000_000L + i,
            ["step"] = i,
            ["model_id"] = i % 5 == 0 ? $"m-{i}" : null,
            ["dataset_name"] = i % 3 == 0 ? "train" : null,
            ["dataset_digest"] = i % 3 == 0 ? "abc\"d" : null,
        }.Where(kv => kv.Value is not null).ToDictionary()).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics })).Ok();

        var service = Server.Services.GetRequiredService<TrackingService>();
        foreach (var pageSize in new long?[] { null, 250, 900, 1000 })
        {
            string? token = null;
            var pages = 0;
            do
            {
                var url = $"{Api}metrics/get-history?run_id={runId}&metric_key=loss%2Fval" +
                    (pageSize is null ? "" : $"&max_results={pageSize}") +
                    (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}");
                var response = await Server.GetAsync(url);
                Assert.Equal(HttpStatusCode.OK, response.Status);
                Assert.Equal("application/json", response.MediaType);

                var page = await service.GetMetricHistoryAsync(new MetricHistoryRequest(runId, "loss/val", pageSize, token), CancellationToken.None);
                Assert.Equal(Buffered(page), response.Text);
                token = page.NextPageToken;
                pages++;
            }
            while (token is not null);

            Assert.Equal(pageSize is null or >= 900 ? 1 : 4, pages);
        }

        var empty = await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=nope&max_results=10");
        Assert.Equal("{}", empty.Text);
    }

    [Fact]
    public async Task Paging_one_point_at_a_time_walks_duplicates_and_non_finite_values_in_order()
    {
        var runId = await Server.CreateRunIdAsync("0");
        // Out of order, equal timestamps with different steps and values, an exact duplicate (dropped), NaN and ±Infinity.
        object[] values = ["NaN", "Infinity", "-Infinity", 0.5, -0.0, 1e21, 3.0, 0.5];
        var metrics = values.Select((v, i) => new Dictionary<string, object?>
        {
            ["key"] = "m",
            ["value"] = v,
            ["timestamp"] = 1000 + (i % 3),
            ["step"] = 7 - i,
        }).Append(new Dictionary<string, object?> { ["key"] = "m", ["value"] = 0.5, ["timestamp"] = 1000, ["step"] = 4 }).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics })).Ok();

        var whole = await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=m");
        var expected = JsonDocument.Parse(whole.Text).RootElement.GetProperty("metrics").EnumerateArray().Select(e => e.GetRawText()).ToList();
        Assert.Equal(8, expected.Count);
        Assert.Contains("\"value\":\"NaN\"", whole.Text, StringComparison.Ordinal);
        Assert.Contains("\"value\":\"-Infinity\"", whole.Text, StringComparison.Ordinal);

        var walked = new List<string>();
        string? token = null;
        do
        {
            var page = await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=m&max_results=1" +
                (token is null ? "" : $"&page_token={Uri.EscapeDataString(token)}"));
            var root = JsonDocument.Parse(page.Text).RootElement;
            if (root.TryGetProperty("metrics", out var items))
            {
                walked.AddRange(items.EnumerateArray().Select(e => e.GetRawText()));
            }

            token = root.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
            Assert.True(walked.Count <= expected.Count + 1, "paging did not end");
        }
        while (token is not null);

        Assert.Equal(expected, walked);
    }

    [Fact]
    public async Task Errors_before_the_first_point_are_clean_mlflow_errors()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var missing = await Server.GetAsync($"{Api}metrics/get-history?run_id={new string('0', 32)}&metric_key=m");
        missing.IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=m&max_results=-1")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=m&page_token=%%%garbage")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    private static string Buffered(Page<Metric> page)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WireResults.WriterOptions))
        {
            w.WriteStartObject();
            TrackingJson.WriteMetrics(w, "metrics"u8, page.Items);
            TrackingJson.WriteNextPageToken(w, page.NextPageToken);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
