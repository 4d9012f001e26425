using System.Diagnostics;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Tests.Serving;

namespace Strata.Serving.Tests.Python;

/// <summary>
/// The workers' life: a worker killed mid-traffic is replaced and only the call it was running fails; a model that
/// outlives the timeout has its worker killed and replaced and its request answered 504, never left hanging; a model
/// whose serving input example fails its warm-up never reports ready.
/// </summary>
[Collection(PythonModelsCollection.Name)]
public sealed class PythonWorkerLifecycleTests(PythonModelsFixture fixture)
{
    private const string Fast = """{"dataframe_split": {"columns": ["x"], "data": [[1.5]]}}""";
    private const string Stuck = """{"dataframe_split": {"columns": ["x"], "data": [[5000.0]]}}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_worker_killed_mid_traffic_is_replaced_and_only_its_call_fails(bool batching)
    {
        const int clients = 4;
        await using var host = await ServingTestHost.StartAsync(SlowModel(batching), predictionLog: false);
        var runtime = PythonWorkerProtocolTests.RuntimeOf(host, "slow");
        var before = runtime.WorkerProcessIds.ToList();
        Assert.Equal(2, before.Count);

        var done = 0;
        var killed = 0;
        var statuses = new System.Collections.Concurrent.ConcurrentBag<(int Status, string? Code)>();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            for (var i = 0; i < 15; i++)
            {
                var (status, body, _) = await host.CallAsync("/serving/slow/invocations", Fast);
                statuses.Add((status, status == 200 ? null : body.GetProperty("error_code").GetString()));
                if (Interlocked.Increment(ref done) == 10 && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    using var victim = Process.GetProcessById(before[0]);
                    victim.Kill();
                }
            }
        }));

        var failures = statuses.Where(s => s.Status != 200).ToList();
        // Batching off a worker runs one request at a time; on, one batch, which never holds more than the clients.
        Assert.True(failures.Count <= (batching ? clients : 1), string.Join(", ", failures));
        Assert.All(failures, f => Assert.Equal((500, "INTERNAL_ERROR"), f));

        await WaitUntilAsync(() => runtime.WorkerRestarts >= 1 && runtime.WorkerProcessIds.Count == 2);
        var after = runtime.WorkerProcessIds;
        Assert.DoesNotContain(before[0], after);
        Assert.Contains(before[1], after);
        for (var i = 0; i < 4; i++)
        {
            var (status, _, text) = await host.CallAsync("/serving/slow/invocations", Fast);
            Assert.True(status == 200, text);
        }
    }

    [Fact]
    public async Task A_call_past_the_worker_timeout_kills_the_worker_and_answers_504_with_mlflows_error_body()
    {
        var options = SlowModel(batching: false, workers: 1) with { RequestTimeout = TimeSpan.FromSeconds(60) };
        options = options with { Python = options.Python with { CallTimeout = TimeSpan.FromSeconds(1) } };
        await using var host = await ServingTestHost.StartAsync(options, predictionLog: false);
        var runtime = PythonWorkerProtocolTests.RuntimeOf(host, "slow");
        var pid = Assert.Single(runtime.WorkerProcessIds);

        var (status, body, text) = await host.CallAsync("/serving/slow/invocations", Stuck);
        Assert.True(status == 504, text);
        Assert.Equal("DEADLINE_EXCEEDED", body.GetProperty("error_code").GetString());
        Assert.Contains("was stopped and is being replaced", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        await WaitUntilAsync(() => runtime.WorkerRestarts == 1 && runtime.WorkerProcessIds.Count == 1);
        Assert.NotEqual(pid, Assert.Single(runtime.WorkerProcessIds));
        var (ok, answer, okText) = await host.CallAsync("/serving/slow/invocations", Fast);
        Assert.True(ok == 200, okText);
        Assert.Equal(3.0, Assert.Single(answer.GetProperty("predictions").EnumerateArray()).GetDouble());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_request_past_the_serving_timeout_is_504_and_its_worker_is_replaced(bool batching)
    {
        var options = SlowModel(batching, workers: 1) with { RequestTimeout = TimeSpan.FromSeconds(1.5) };
        await using var host = await ServingTestHost.StartAsync(options, predictionLog: false);
        var runtime = PythonWorkerProtocolTests.RuntimeOf(host, "slow");

        var (status, _, text) = await host.CallAsync("/serving/slow/invocations", Stuck);
        Assert.True(status == 504, text);

        // The worker timeout defaults to the request timeout: the stuck worker does not keep the model busy.
        await WaitUntilAsync(() => runtime.WorkerRestarts == 1 && runtime.WorkerProcessIds.Count == 1);
        var (ok, _, okText) = await host.CallAsync("/serving/slow/invocations", Fast);
        Assert.True(ok == 200, okText);
    }

    [Fact]
    public async Task A_model_whose_serving_input_example_fails_does_not_load()
    {
        var options = new ServingOptions
        {
            Models = [new ServeModelSpec("badexample", fixture.PathOf("badexample"))],
            Python = PythonModelsFixture.Workers(1),
        };
        var e = await Assert.ThrowsAsync<Core.Errors.MlflowException>(() => ServingTestHost.StartAsync(options, predictionLog: false));
        Assert.Contains("serving_input_example.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("ValueError: negative x", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_waits_for_the_warm_up_call()
    {
        var options = new ServingOptions
        {
            Models = [new ServeModelSpec("badexample", fixture.PathOf("badexample")), new ServeModelSpec("custom", fixture.PathOf("custom"))],
            Python = PythonModelsFixture.Workers(1),
            LoadInBackground = true,
        };
        await using var host = await ServingTestHost.StartAsync(options, predictionLog: false);
        var custom = host.Get<ModelRouteTable>().Find("custom")!;
        await WaitUntilAsync(() => custom.Current is not null);
        Assert.Equal(200, (await host.GetJsonAsync("/v2/models/custom/ready")).Status);

        // The other model's workers start, but its warm-up call fails: it is never ready, and neither is the server.
        Assert.NotEqual(200, (await host.GetJsonAsync("/v2/models/badexample/ready")).Status);
        Assert.Equal(503, (await host.GetJsonAsync("/v2/health/ready")).Status);
        using var ping = await host.Client.GetAsync("/serving/badexample/ping");
        Assert.Equal(404, (int)ping.StatusCode);
    }

    private ServingOptions SlowModel(bool batching, int workers = 2) => new()
    {
        Models = [new ServeModelSpec("slow", fixture.PathOf("slow"))],
        Batching = new BatchingOptions { Enabled = batching, MaxBatchSize = 64, MaxDelay = TimeSpan.FromMilliseconds(5) },
        Python = PythonModelsFixture.Workers(workers),
    };

    /// <summary>Waits for something the server does in the background (a worker restart); gives up after a minute.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within a minute.");
            await Task.Delay(50);
        }
    }
}
