using System.Net;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class SearchRunsTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    private async Task<(string ExperimentId, string[] RunIds)> SeedAsync()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var runIds = new string[6];
        for (var i = 0; i < runIds.Length; i++)
        {
            var run = await Server.CreateRunAsync(experimentId, new { start_time = 1000L + i, run_name = $"run-{i}" });
            runIds[i] = run.GetProperty("info").GetProperty("run_id").GetString()!;
            (await Server.PostAsync(Api + "runs/log-batch", new
            {
                run_id = runIds[i],
                metrics = new[] { new { key = "rmse", value = i * 0.5, timestamp = 1L, step = 0L } },
                @params = new[] { new { key = "model", value = i % 2 == 0 ? "lr" : "it's 'quoted'" } },
                tags = new[] { new { key = "my-tag", value = $"X{i}x" } },
            })).Ok();
        }

        return (experimentId, runIds);
    }

    [Fact]
    public async Task Filters_on_metrics_params_tags_and_attributes()
    {
        var (experimentId, runIds) = await SeedAsync();
        async Task<List<string>> Search(string filter)
        {
            var page = (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, filter })).Ok();
            return page.List("runs").Select(r => r.GetProperty("info").GetProperty("run_id").GetString()!).ToList();
        }

        Assert.Equal(new[] { runIds[1], runIds[0] }, await Search("metrics.rmse < 1"));
        Assert.Equal(3, (await Search("params.model = 'lr'")).Count);
        Assert.Equal(3, (await Search("params.model = 'it''s ''quoted'''")).Count);
        Assert.Equal(new[] { runIds[2] }, await Search("tags.`my-tag` ILIKE '%x2%'"));
        Assert.Equal(new[] { runIds[4] }, await Search("attributes.run_name = 'run-4'"));
        Assert.Equal(2, (await Search($"attributes.run_id IN ('{runIds[0]}', '{runIds[5]}')")).Count);
        Assert.Empty(await Search("params.model = 'lr''; DELETE FROM runs; --'"));
        Assert.Empty(await Search("metrics.nothing > 0"));

        (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, filter = "metrics.rmse < 'one'" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, filter = "params.model = 'a' OR params.model = 'b'" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Orders_and_pages()
    {
        var (experimentId, runIds) = await SeedAsync();
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = (await Server.PostAsync(Api + "runs/search", new
            {
                experiment_ids = new[] { experimentId },
                order_by = new[] { "metrics.rmse DESC" },
                max_results = 4,
                page_token = token,
            })).Ok();
            seen.AddRange(page.List("runs").Select(r => r.GetProperty("info").GetProperty("run_id").GetString()!));
            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
        }
        while (!string.IsNullOrEmpty(token));
        Assert.Equal(runIds.Reverse(), seen);

        var defaultOrder = (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId } })).Ok().List("runs");
        Assert.Equal(runIds.Reverse(), defaultOrder.Select(r => r.GetProperty("info").GetProperty("run_id").GetString()));
    }

    [Fact]
    public async Task Bounds_view_types_and_empty_experiment_list()
    {
        var (experimentId, runIds) = await SeedAsync();
        var empty = (await Server.PostAsync(Api + "runs/search", new { experiment_ids = Array.Empty<string>() })).Ok();
        Assert.Equal("{}", empty.GetRawText());
        (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, max_results = 50001 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, max_results = 0 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        (await Server.PostAsync(Api + "runs/delete", new { run_id = runIds[0] })).Ok();
        Assert.Equal(5, (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId } })).Ok().List("runs").Count);
        Assert.Single((await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, run_view_type = "DELETED_ONLY" })).Ok().List("runs"));
        Assert.Equal(6, (await Server.PostAsync(Api + "runs/search", new { experiment_ids = new[] { experimentId }, run_view_type = "ALL" })).Ok().List("runs").Count);
    }
}
