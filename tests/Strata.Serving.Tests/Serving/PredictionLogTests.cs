using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.PredictionLog;
using Strata.Storage.Database;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class PredictionLogTests(ServingFixture fixture)
{
    [Fact]
    public async Task Every_request_is_logged_and_can_be_read_back_by_model_version_and_time_in_pages()
    {
        var options = fixture.Options(batching: false) with { Models = [new ServeModelSpec("logged", fixture.HousesPath)] };
        await using var host = await ServingTestHost.StartAsync(options);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var houses = fixture.Models.Houses.Take(5).ToList();
        for (var i = 0; i < 5; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/invocations")
            {
                Content = new StringContent(Split(houses.Skip(i).Take(1)), System.Text.Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Request-ID", $"req-{i}");
            using var response = await host.Client.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
        }

        var (badStatus, _, _) = await host.CallAsync("/v2/models/logged/infer", """{"inputs": []}""");
        Assert.Equal(400, badStatus);

        var rows = await WaitForRowsAsync(host, "/api/2.0/strata/predictions?model=logged", 6);
        Assert.Equal(6, rows.Count);
        var ok = rows.Where(r => r.GetProperty("status_code").GetInt32() == 200).ToList();
        Assert.Equal(["req-4", "req-3", "req-2", "req-1", "req-0"], ok.Select(r => r.GetProperty("request_id").GetString()));
        var first = ok[^1];
        Assert.Equal("logged", first.GetProperty("model_name").GetString());
        Assert.Equal("mlflow", first.GetProperty("protocol").GetString());
        Assert.Equal(Split(houses.Take(1)), first.GetProperty("inputs").GetString());
        var outputs = System.Text.Json.JsonDocument.Parse(first.GetProperty("outputs").GetString()!).RootElement;
        AssertClose(fixture.ExpectedPrices(ServingFixture.Houses, 1), Numbers(outputs.GetProperty("predictions")));
        Assert.True(first.GetProperty("timestamp").GetInt64() >= before - 1000);
        Assert.True(first.GetProperty("latency_us").GetInt64() > 0);
        var failed = rows.Single(r => r.GetProperty("status_code").GetInt32() == 400);
        Assert.Equal("v2", failed.GetProperty("protocol").GetString());
        Assert.Contains("at least one", failed.GetProperty("error_message").GetString(), StringComparison.Ordinal);

        // Paging: two at a time, newest first, no overlaps.
        var version = first.GetProperty("model_version").GetString();
        var seen = new List<string?>();
        string? token = null;
        do
        {
            var (status, page) = await host.GetJsonAsync(
                $"/api/2.0/strata/predictions?model=logged&version={version}&start_time={before - 1000}&end_time={DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1000}&max_results=2"
                + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token)));
            Assert.Equal(200, status);
            var items = page.GetProperty("predictions").EnumerateArray().ToList();
            Assert.True(items.Count <= 2);
            seen.AddRange(items.Select(r => r.GetProperty("request_id").GetString()));
            token = page.TryGetProperty("next_page_token", out var next) ? next.GetString() : null;
        }
        while (token is not null);
        Assert.Equal(rows.Select(r => r.GetProperty("request_id").GetString()), seen);

        var (emptyStatus, empty) = await host.GetJsonAsync($"/api/2.0/strata/predictions?model=logged&end_time={before - 60_000}");
        Assert.Equal(200, emptyStatus);
        Assert.Empty(empty.GetProperty("predictions").EnumerateArray());
        Assert.Equal(400, (await host.GetJsonAsync("/api/2.0/strata/predictions?max_results=0")).Status);
        Assert.Equal(400, (await host.GetJsonAsync("/api/2.0/strata/predictions?page_token=zzz")).Status);
    }

    [Fact]
    public async Task A_sample_rate_of_zero_logs_nothing()
    {
        var options = fixture.Options(batching: false) with
        {
            Models = [new ServeModelSpec("unlogged", fixture.HousesPath)],
            PredictionLog = new PredictionLogOptions { SampleRate = 0 },
        };
        await using var host = await ServingTestHost.StartAsync(options);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (await host.CallAsync("/invocations", Split(fixture.Models.Houses.Take(1)))).Status);
        }

        Assert.Equal(0, host.Get<PredictionLogQueue>().Enqueued);
    }

    [Fact]
    public async Task When_the_log_queue_is_full_entries_are_dropped_and_counted_and_requests_still_succeed()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = fixture.Options(batching: false) with
        {
            Models = [new ServeModelSpec("flooded", fixture.HousesPath)],
            PredictionLog = new PredictionLogOptions { QueueCapacity = 2, WriteBatchSize = 1 },
        };
        await using var host = await ServingTestHost.StartAsync(options, configure: builder =>
        {
            // Hold every log write until the test opens the gate, as a stalled database would.
            var registered = builder.Services.Single(d => d.ServiceType == typeof(IDatabase));
            builder.Services.Remove(registered);
            builder.Services.AddSingleton<IDatabase>(sp => new StalledDatabase((IDatabase)registered.ImplementationFactory!(sp), gate.Task));
        });

        try
        {
        var requests = Enumerable.Range(0, 20).Select(_ => host.CallAsync("/invocations", Split(fixture.Models.Houses.Take(1)))).ToList();
        var results = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, r => Assert.Equal(200, r.Status));

        var queue = host.Get<PredictionLogQueue>();
        Assert.True(queue.Dropped >= 17, $"dropped {queue.Dropped}");
        Assert.Equal(20, queue.Dropped + queue.Enqueued);

        using var metrics = await host.Client.GetAsync("/metrics");
        var text = await metrics.Content.ReadAsStringAsync();
        Assert.Contains($"strata_serving_prediction_log_dropped_total {queue.Dropped}", text, StringComparison.Ordinal);
        Assert.Contains("strata_serving_prediction_log_queue_depth", text, StringComparison.Ordinal);
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    /// <summary>A database whose writes wait for a gate; reads pass through.</summary>
    private sealed class StalledDatabase(IDatabase inner, Task gate) : IDatabase
    {
        public SqlDialect Dialect => inner.Dialect;

        public Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct) => inner.ReadAsync(work, ct);

        public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct)
        {
            await gate.WaitAsync(ct);
            return await inner.WriteAsync(work, ct);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    private static async Task<List<System.Text.Json.JsonElement>> WaitForRowsAsync(ServingTestHost host, string path, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var (_, page) = await host.GetJsonAsync(path);
            var rows = page.GetProperty("predictions").EnumerateArray().ToList();
            if (rows.Count >= count || DateTime.UtcNow > deadline)
            {
                return rows;
            }

            await Task.Delay(20);
        }
    }
}
