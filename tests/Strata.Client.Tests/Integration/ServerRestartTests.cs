using Strata.Core.Tracking;

namespace Strata.Client.Tests.Integration;

public sealed class ServerRestartTests
{
    [Fact]
    public async Task Buffered_metrics_survive_a_server_restart_in_the_middle_of_logging()
    {
        var dir = Directory.CreateTempSubdirectory("strata-client-restart-").FullName;
        try
        {
            var server = await StrataTestServer.StartAsync(dir);
            var port = server.Port;
            using var client = server.CreateClient(o =>
            {
                o.MaxRetryAttempts = 1;
                o.MetricRetryMaxDelay = TimeSpan.FromMilliseconds(200);
                o.MetricFlushTimeout = TimeSpan.FromSeconds(60);
                o.MetricBatchSize = 500;
            });
            var run = await client.StartRunAsync(experimentName: "restart", runName: "survivor");
            const int total = 12_000;
            var producerBlocked = TimeSpan.Zero;
            for (var i = 0; i < total; i++)
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                run.LogMetric("loss", 1.0 / (i + 1), step: i, timestamp: 1_700_000_000_000 + i);
                run.LogMetric("acc", i % 100 == 0 ? double.NaN : i * 1e-5, step: i, timestamp: 1_700_000_000_000 + i);
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                producerBlocked = elapsed > producerBlocked ? elapsed : producerBlocked;
                if (i == 3_000)
                {
                    await run.FlushMetricsAsync(); // some points are certainly stored before the outage
                    await server.StopAsync();
                }
                if (i == 9_000)
                {
                    Assert.True(run.MetricsPending > 0); // points piled up while the server was down
                    await server.StartAsync(port);
                }
            }
            await run.EndAsync();
            Assert.True(producerBlocked < TimeSpan.FromSeconds(1), $"LogMetric blocked for {producerBlocked}");

            var info = (await client.GetRunAsync(run.RunId)).Info;
            Assert.Equal(RunStatus.FINISHED, info.Status);
            var loss = await client.GetMetricHistoryAsync(run.RunId, "loss").ToListAsync();
            var acc = await client.GetMetricHistoryAsync(run.RunId, "acc").ToListAsync();
            Assert.Equal(total, loss.Count);
            Assert.Equal(total, acc.Count);
            Assert.Equal(Enumerable.Range(0, total).Select(i => (long)i), loss.Select(m => m.Step).Order());
            Assert.All(loss, m => Assert.Equal(1.0 / (m.Step + 1), m.Value));
            Assert.All(acc, m => Assert.Equal(m.Step % 100 == 0 ? double.NaN : m.Step * 1e-5, m.Value));
            await server.DisposeAsync();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
