using System.Net;
using System.Text.RegularExpressions;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class LoggedModelApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Create_get_finalize_and_delete()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var runId = await Server.CreateRunIdAsync(experimentId);
        var model = (await Server.PostAsync(Api + "logged-models", new
        {
            experiment_id = experimentId,
            model_type = "sklearn",
            source_run_id = runId,
            @params = new[] { new { key = "alpha", value = "0.5" } },
            tags = new[] { new { key = "stage", value = "dev" } },
        })).Ok().GetProperty("model");
        var info = model.GetProperty("info");
        var modelId = info.GetProperty("model_id").GetString()!;
        Assert.Matches(new Regex("^m-[0-9a-f]{32}$"), modelId);
        Assert.Equal("LOGGED_MODEL_PENDING", info.GetProperty("status").GetString());
        Assert.Equal($"mlflow-artifacts:/{experimentId}/models/{modelId}/artifacts", info.GetProperty("artifact_uri").GetString());
        Assert.Matches(new Regex("^[a-z]+-[a-z]+-\\d{1,3}$"), info.GetProperty("name").GetString()!);
        Assert.Equal("0.5", model.GetProperty("data").List("params").Single().GetProperty("value").GetString());

        var ready = (await Server.PatchAsync($"{Api}logged-models/{modelId}", new { model_id = modelId, status = "LOGGED_MODEL_READY" })).Ok();
        Assert.Equal("LOGGED_MODEL_READY", ready.GetProperty("model").GetProperty("info").GetProperty("status").GetString());
        (await Server.PatchAsync($"{Api}logged-models/{modelId}", new { status = "LOGGED_MODEL_PENDING" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var fetched = (await Server.GetAsync($"{Api}logged-models/{modelId}")).Ok().GetProperty("model");
        Assert.Equal("sklearn", fetched.GetProperty("info").GetProperty("model_type").GetString());
        Assert.Equal(runId, fetched.GetProperty("info").GetProperty("source_run_id").GetString());

        (await Server.DeleteAsync($"{Api}logged-models/{modelId}")).Ok();
        (await Server.GetAsync($"{Api}logged-models/{modelId}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Tags_and_params()
    {
        var model = (await Server.PostAsync(Api + "logged-models", new { experiment_id = "0", name = "tagged" })).Ok().GetProperty("model");
        var modelId = model.GetProperty("info").GetProperty("model_id").GetString()!;
        (await Server.PatchAsync($"{Api}logged-models/{modelId}/tags", new { tags = new[] { new { key = "a/b", value = "1" }, new { key = "c", value = "2" } } })).Ok();
        (await Server.DeleteAsync($"{Api}logged-models/{modelId}/tags/c")).Ok();
        (await Server.DeleteAsync($"{Api}logged-models/{modelId}/tags/a%2Fb")).Ok();
        (await Server.PatchAsync($"{Api}logged-models/{modelId}/tags", new { tags = new[] { new { key = "a/b", value = "1" } } })).Ok();
        (await Server.DeleteAsync($"{Api}logged-models/{modelId}/tags/c")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{Api}logged-models/{modelId}/params", new { model_id = modelId, @params = new[] { new { key = "p", value = "v" } } })).Ok();

        var info = (await Server.GetAsync($"{Api}logged-models/{modelId}")).Ok().GetProperty("model");
        Assert.Equal("a/b", info.GetProperty("info").List("tags").Single().GetProperty("key").GetString());
        Assert.Equal("p", info.GetProperty("data").List("params").Single().GetProperty("key").GetString());
    }

    [Fact]
    public async Task Validation_and_unknown_ids()
    {
        (await Server.PostAsync(Api + "logged-models", new { experiment_id = "0", name = "bad/name" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "logged-models", new { name = "no-experiment" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "logged-models", new { experiment_id = "999999" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var missing = "m-" + Guid.NewGuid().ToString("N");
        (await Server.GetAsync($"{Api}logged-models/{missing}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PatchAsync($"{Api}logged-models/{missing}", new { status = "LOGGED_MODEL_READY" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync($"{Api}logged-models/{missing}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Search_filters_orders_and_pages()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var model = (await Server.PostAsync(Api + "logged-models", new { experiment_id = experimentId, name = $"model-{i}", model_type = i % 2 == 0 ? "even" : "odd" })).Ok();
            ids.Add(model.GetProperty("model").GetProperty("info").GetProperty("model_id").GetString()!);
        }

        var even = (await Server.PostAsync(Api + "logged-models/search", new { experiment_ids = new[] { experimentId }, filter = "model_type = 'even'" })).Ok();
        Assert.Equal(3, even.List("models").Count);

        var names = new List<string>();
        string? token = null;
        do
        {
            var page = (await Server.PostAsync(Api + "logged-models/search", new
            {
                experiment_ids = new[] { experimentId },
                order_by = new[] { new { field_name = "name", ascending = false } },
                max_results = 2,
                page_token = token,
            })).Ok();
            names.AddRange(page.List("models").Select(m => m.GetProperty("info").GetProperty("name").GetString()!));
            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
        }
        while (!string.IsNullOrEmpty(token));
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => $"model-{i}"), names);

        (await Server.PostAsync(Api + "logged-models/search", new { experiment_ids = Array.Empty<string>() })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "logged-models/search", new { experiment_ids = new[] { experimentId }, filter = "bogus_field = 'x'" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }
}
