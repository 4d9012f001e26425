using Strata.Client.Tests.Support;
using Strata.Core.Tracking;

namespace Strata.Client.Tests.Unit;

/// <summary>The fluent run and its buffered logger, against <see cref="MiniTracking"/>.</summary>
public sealed class FluentRunTests
{
    [Fact]
    public async Task Start_run_creates_the_experiment_once_and_tags_the_run()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));

        await using (var run = await client.StartRunAsync(experimentName: "exp", runName: "first"))
        {
            Assert.Equal("tester", tracking.RunTags[run.RunId]["mlflow.user"]!.GetValue<string>());
            Assert.Equal("LOCAL", tracking.RunTags[run.RunId]["mlflow.source.type"]!.GetValue<string>());
            await using var child = await run.StartChildRunAsync("child");
            Assert.Equal(run.RunId, tracking.RunTags[child.RunId][StrataRun.ParentRunIdTag]!.GetValue<string>());
            Assert.Equal(run.ExperimentId, child.ExperimentId);
        }
        await using (var again = await client.StartRunAsync(experimentName: "exp"))
        {
        }
        Assert.Single(tracking.Experiments);
        Assert.Single(server.Requests, r => r.Path.EndsWith("experiments/create", StringComparison.Ordinal));
        Assert.All(tracking.RunStatus.Values, s => Assert.Equal("FINISHED", s));
    }

    [Fact]
    public async Task RunAsync_ends_failed_when_the_body_throws_and_rethrows()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        string? runId = null;
        string? childId = null;
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.RunAsync("e", async run =>
        {
            runId = run.RunId;
            run.LogMetric("loss", 1.0);
            await run.RunChildAsync("trial", async child =>
            {
                childId = child.RunId;
                await Task.Yield();
                throw new InvalidOperationException("diverged");
            });
        }));
        Assert.Equal("diverged", ex.Message);
        Assert.Equal("FAILED", tracking.RunStatus[runId!]);
        Assert.Equal("FAILED", tracking.RunStatus[childId!]);
        Assert.Single(tracking.Points[runId!]); // the point logged before the failure was still delivered
    }

    [Fact]
    public async Task RunAsync_ends_killed_on_cancellation_and_finished_on_success()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        string? cancelled = null;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.RunAsync("e", run =>
        {
            cancelled = run.RunId;
            throw new OperationCanceledException();
        }));
        Assert.Equal("KILLED", tracking.RunStatus[cancelled!]);

        var value = await client.RunAsync("e", run => Task.FromResult(run.RunId));
        Assert.Equal("FINISHED", tracking.RunStatus[value]);
    }

    [Fact]
    public async Task Explicit_end_status_wins_over_dispose()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        string id;
        await using (var run = await client.StartRunAsync("e"))
        {
            id = run.RunId;
            await run.EndAsync(RunStatus.KILLED);
            Assert.True(run.IsEnded);
            Assert.Throws<InvalidOperationException>(() => run.LogMetric("late", 1));
        }
        Assert.Equal("KILLED", tracking.RunStatus[id]);
        Assert.Single(server.Requests, r => r.Path.EndsWith("runs/update", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_point_is_delivered_in_batches_of_at_most_1000()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri, o =>
        {
            o.MetricBufferCapacity = 5000;
            o.MetricSenders = 4;
        }));
        string id;
        await using (var run = await client.StartRunAsync("e"))
        {
            id = run.RunId;
            for (var step = 0; step < 20_000; step++)
            {
                run.LogMetric("loss", 1.0 / (step + 1), step, timestamp: 1000 + step);
                run.LogMetric("acc", step % 7 == 0 ? double.NaN : step, step, timestamp: 1000 + step);
            }
        }
        Assert.Equal(40_000, tracking.Points[id].Count);
        Assert.All(tracking.BatchSizes, n => Assert.InRange(n, 1, 1000));
        Assert.Contains(tracking.Points[id].Keys, p => p.Key == "acc" && double.IsNaN(p.Value));
    }

    [Fact]
    public async Task Transient_failures_delay_but_do_not_lose_points()
    {
        var tracking = new MiniTracking();
        var failures = 0;
        // Fails every other call for a while: both the HTTP retry and the buffer's re-send take part.
        tracking.LogBatchFailure = () => Interlocked.Increment(ref failures) is var n && n < 40 && n % 2 == 1 ? 503 : null;
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri, o => o.MaxRetryAttempts = 0));
        string id;
        await using (var run = await client.StartRunAsync("e"))
        {
            id = run.RunId;
            for (var i = 0; i < 5000; i++)
            {
                run.LogMetric("m", i, i, timestamp: 1);
            }
            await run.FlushMetricsAsync();
            Assert.Equal(5000, run.MetricsDelivered);
            Assert.Equal(0, run.MetricsPending);
        }
        Assert.Equal(5000, tracking.Points[id].Count);
        Assert.True(failures > 1);
    }

    [Fact]
    public async Task Unreachable_server_at_end_raises_a_flush_error_naming_the_undelivered_count()
    {
        var tracking = new MiniTracking();
        var down = false;
        tracking.LogBatchFailure = () => Volatile.Read(ref down) ? 503 : null;
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri, o => o.MetricFlushTimeout = TimeSpan.FromMilliseconds(300)));
        var run = await client.StartRunAsync("e");
        Volatile.Write(ref down, true);
        for (var i = 0; i < 10; i++)
        {
            run.LogMetric("m", i, i);
        }
        var ex = await Assert.ThrowsAsync<MetricFlushException>(() => run.EndAsync());
        Assert.Equal(10, ex.Undelivered);
        Assert.Equal(run.RunId, ex.RunId);
        Assert.IsType<StrataApiException>(ex.InnerException);
        Assert.Equal("FINISHED", tracking.RunStatus[run.RunId]); // the status is still recorded
    }

    [Fact]
    public async Task Rejected_batch_fails_the_next_log_call_and_the_end()
    {
        var tracking = new MiniTracking { LogBatchFailure = () => 400 };
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        var run = await client.StartRunAsync("e");
        run.LogMetric("m", 1);
        await Assert.ThrowsAsync<MetricFlushException>(() => run.FlushMetricsAsync());
        var next = Assert.Throws<MetricFlushException>(() => run.LogMetric("m", 2));
        Assert.Contains("rejected", next.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MetricFlushException>(() => run.EndAsync());
        Assert.Equal(1, server.Requests.Count(r => r.Path.EndsWith("log-batch", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Invalid_keys_and_timestamps_fail_at_the_call_site()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri));
        await using var run = await client.StartRunAsync("e");
        Assert.Throws<ArgumentException>(() => run.LogMetric("", 1));
        Assert.Throws<ArgumentException>(() => run.LogMetric("bad*key", 1));
        Assert.Throws<ArgumentException>(() => run.LogMetric("../up", 1));
        Assert.Throws<ArgumentException>(() => run.LogMetric(new string('k', 251), 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => run.LogMetric("ok", 1, timestamp: -1));
        run.LogMetric("train/loss: epoch 1", 1);
    }

    [Fact]
    public async Task Full_buffer_throws_in_throw_mode_and_waits_in_wait_mode()
    {
        var tracking = new MiniTracking();
        var gate = new TaskCompletionSource();
        await using var server = await ScriptedServer.StartAsync(async (c, body) =>
        {
            if (c.Request.Path.Value!.EndsWith("log-batch", StringComparison.Ordinal))
            {
                await gate.Task; // the server stalls until the test opens the gate
            }
            await tracking.Handle(c, body);
        });
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri, o =>
        {
            o.MetricBufferCapacity = 10;
            o.MetricBatchSize = 5;
            o.MetricSenders = 1;
            o.MetricBufferFullMode = MetricBufferFullMode.Throw;
        }));
        var run = await client.StartRunAsync("e");
        // One point, and wait until its batch is stuck in the stalled server: the sender now holds exactly one point.
        run.LogMetric("m", -5, -5);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!server.Requests.Any(r => r.Path.EndsWith("log-batch", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }
        var accepted = 1;
        MetricBufferFullException? full = null;
        for (var i = 0; i < 100 && full is null; i++)
        {
            try
            {
                run.LogMetric("m", i, i);
                accepted++;
            }
            catch (MetricBufferFullException ex)
            {
                full = ex;
            }
        }
        Assert.NotNull(full);
        Assert.Equal(11, accepted); // the buffer's 10 plus the one point in flight

        // LogMetricAsync in the same situation (Throw mode) throws too; in Wait mode it completes once there is room.
        await Assert.ThrowsAsync<MetricBufferFullException>(() => run.LogMetricAsync("m", -1, -1).AsTask());
        gate.SetResult();
        await run.EndAsync();
        Assert.Equal(accepted, tracking.Points[run.RunId].Count);

        var waiting = StrataClient.Create(TestOptions.Fast(server.Uri, o => { o.MetricBufferCapacity = 2; o.MetricBatchSize = 1; }));
        await using (var run2 = await waiting.StartRunAsync("e"))
        {
            var producer = Task.Run(async () =>
            {
                for (var i = 0; i < 200; i++)
                {
                    if (i % 2 == 0)
                    {
                        run2.LogMetric("w", i, i);
                    }
                    else
                    {
                        await run2.LogMetricAsync("w", i, i);
                    }
                }
            });
            await producer.WaitAsync(TimeSpan.FromSeconds(30));
            await run2.FlushMetricsAsync();
            Assert.Equal(200, tracking.Points[run2.RunId].Count);
        }
        waiting.Dispose();
    }

    [Fact]
    public async Task Concurrent_producers_lose_nothing()
    {
        var tracking = new MiniTracking();
        await using var server = await ScriptedServer.StartAsync(tracking.Handle);
        using var client = StrataClient.Create(TestOptions.Fast(server.Uri, o => o.MetricBufferCapacity = 1000));
        string id;
        await using (var run = await client.StartRunAsync("e"))
        {
            id = run.RunId;
            await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
            {
                for (var i = 0; i < 5000; i++)
                {
                    run.LogMetric($"worker{t}", i, i, timestamp: 7);
                }
            })));
        }
        Assert.Equal(20_000, tracking.Points[id].Count);
    }
}
