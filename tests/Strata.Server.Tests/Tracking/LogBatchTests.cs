using System.Net;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class LogBatchTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Writes_params_metrics_and_tags()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-batch", new
        {
            run_id = runId,
            metrics = new object[] { new { key = "m1", value = 0.5, timestamp = 10, step = 1 }, new { key = "m2", value = "NaN", timestamp = "11" } },
            @params = new[] { new { key = "p1", value = "v1" }, new { key = "p2", value = "v2" } },
            tags = new[] { new { key = "t1", value = "x" } },
        })).Ok();
        var data = (await Server.GetRunAsync(runId)).GetProperty("data");
        Assert.Equal(2, data.List("metrics").Count);
        Assert.Equal(2, data.List("params").Count);
        Assert.Contains(data.List("tags"), t => t.GetProperty("key").GetString() == "t1");
    }

    [Fact]
    public async Task Limits_are_enforced()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var metrics = Enumerable.Range(0, 1001).Select(i => new { key = "m", value = 1.0, timestamp = (long)i }).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var @params = Enumerable.Range(0, 101).Select(i => new { key = $"p{i}", value = "v" }).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, @params })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var tags = Enumerable.Range(0, 101).Select(i => new { key = $"t{i}", value = "v" }).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, tags })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var total = new
        {
            run_id = runId,
            metrics = Enumerable.Range(0, 950).Select(i => new { key = "m", value = 1.0, timestamp = (long)i }).ToArray(),
            @params = Enumerable.Range(0, 51).Select(i => new { key = $"p{i}", value = "v" }).ToArray(),
        };
        (await Server.PostAsync(Api + "runs/log-batch", total)).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var ok = Enumerable.Range(0, 1000).Select(i => new { key = "m", value = (double)i, timestamp = (long)i, step = (long)i }).ToArray();
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics = ok })).Ok();
        Assert.Equal(1000, (await Server.GetAsync($"{Api}metrics/get-history?run_id={runId}&metric_key=m")).Ok().List("metrics").Count);
    }

    [Fact]
    public async Task Errors_name_the_path()
    {
        var runId = await Server.CreateRunIdAsync("0");
        var metrics = new object[]
        {
            new { key = "a", value = 1, timestamp = 1 },
            new { key = "b", value = 1, timestamp = 1 },
            new { key = "c", value = 1, timestamp = 1 },
            new { key = "d", value = 1 },
        };
        var response = await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics });
        response.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("metrics[3].timestamp", response.Json.GetProperty("message").GetString(), StringComparison.Ordinal);

        var badValue = await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, metrics = new object[] { new { key = "a", value = false, timestamp = 1 } } });
        Assert.Contains("metrics[0].value", badValue.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE").Json.GetProperty("message").GetString(), StringComparison.Ordinal);

        var badKey = await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, tags = new[] { new { key = "ok", value = "v" }, new { key = "a//b", value = "v" } } });
        Assert.Contains("tags[1].key", badKey.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE").Json.GetProperty("message").GetString(), StringComparison.Ordinal);

        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = "bad/run id" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-batch", new { metrics })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/log-batch", "{\"run_id\":\"" + runId + "\",\"metrics\":{\"key\":\"a\"}}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task A_failing_batch_writes_nothing()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "fixed", value = "1" })).Ok();
        (await Server.PostAsync(Api + "runs/log-batch", new
        {
            run_id = runId,
            metrics = new[] { new { key = "should-not-exist", value = 1.0, timestamp = 1L } },
            @params = new[] { new { key = "new", value = "x" }, new { key = "fixed", value = "2" } },
            tags = new[] { new { key = "nor-this", value = "x" } },
        })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var data = (await Server.GetRunAsync(runId)).GetProperty("data");
        Assert.Empty(data.List("metrics"));
        Assert.Equal("fixed", Assert.Single(data.List("params")).GetProperty("key").GetString());
        Assert.DoesNotContain(data.List("tags"), t => t.GetProperty("key").GetString() == "nor-this");
    }

    [Fact]
    public async Task Duplicate_param_keys_in_one_batch_are_rejected()
    {
        var runId = await Server.CreateRunIdAsync("0");
        (await Server.PostAsync(Api + "runs/log-batch", new { run_id = runId, @params = new[] { new { key = "p", value = "1" }, new { key = "p", value = "1" } } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Sixteen_parallel_writers_lose_nothing()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var runIds = new string[16];
        for (var i = 0; i < runIds.Length; i++)
        {
            runIds[i] = await Server.CreateRunIdAsync(experimentId);
        }

        const int callsPerWriter = 1000 / 16 + 1; // 63 x 16 = 1008 log-batch calls
        await Parallel.ForEachAsync(Enumerable.Range(0, runIds.Length), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (writer, _) =>
        {
            for (var call = 0; call < callsPerWriter; call++)
            {
                var metrics = Enumerable.Range(0, 5).Select(j => new { key = $"m{j}", value = call * 10.0 + j, timestamp = 1000L + call, step = (long)call }).ToArray();
                var response = await Server.PostAsync(Api + "runs/log-batch", new
                {
                    run_id = runIds[writer],
                    metrics,
                    @params = new[] { new { key = $"p{call}", value = $"{writer}-{call}" } },
                    tags = new[] { new { key = "last", value = call.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
                });
                response.Ok();
            }
        });

        for (var writer = 0; writer < runIds.Length; writer++)
        {
            var data = (await Server.GetRunAsync(runIds[writer])).GetProperty("data");
            Assert.Equal(callsPerWriter, data.List("params").Count);
            Assert.All(data.List("params"), p => Assert.StartsWith($"{writer}-", p.GetProperty("value").GetString(), StringComparison.Ordinal));
            Assert.Equal((callsPerWriter - 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                data.List("tags").Single(t => t.GetProperty("key").GetString() == "last").GetProperty("value").GetString());
            for (var j = 0; j < 5; j++)
            {
                var history = (await Server.GetAsync($"{Api}metrics/get-history?run_id={runIds[writer]}&metric_key=m{j}")).Ok().List("metrics");
                Assert.Equal(Enumerable.Range(0, callsPerWriter).Select(c => c * 10.0 + j), history.Select(m => m.GetProperty("value").GetDouble()));
            }
        }
    }
}
