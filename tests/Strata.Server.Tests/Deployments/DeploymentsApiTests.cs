using System.Net;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Deployments;

public sealed class DeploymentsApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = "/api/2.0/strata/deployments";

    private StrataTestServer Server => fixture.Server;

    private static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A registered model with versions 1 and 2 and the alias "champion" on version 1.</summary>
    private async Task<string> ModelAsync()
    {
        var name = NewName("model");
        (await Server.PostAsync(TrackingClient.Api + "registered-models/create", new { name })).Ok();
        (await Server.PostAsync(TrackingClient.Api + "model-versions/create", new { name, source = "s3://bucket/one" })).Ok();
        (await Server.PostAsync(TrackingClient.Api + "model-versions/create", new { name, source = "s3://bucket/two" })).Ok();
        (await Server.PostAsync(TrackingClient.Api + "registered-models/alias", new { name, alias = "champion", version = "1" })).Ok();
        return name;
    }

    private static object[] Route(string model, int championWeight, int v2Weight) =>
    [
        new { model_name = model, alias = "champion", weight = championWeight },
        new { model_name = model, version = "2", weight = v2Weight },
    ];

    [Fact]
    public async Task Create_get_list_update_revisions_rollback_delete()
    {
        var model = await ModelAsync();
        var name = NewName("churn-api");
        var created = (await Server.PostAsync(Api, new
        {
            name,
            route = Route(model, 90, 10),
            shadow = new { model_name = model, version = "2" },
            sticky_key = new { header = "x-customer" },
            settings = new { enable_batching = true, max_batch_size = 16, log_sample_rate = 0.5, timeout_seconds = 10 },
            description = "canary",
        })).Ok().GetProperty("deployment");
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal(1, created.GetProperty("current_revision").GetInt64());
        var revision = created.GetProperty("revision");
        Assert.Equal("champion", revision.GetProperty("route")[0].GetProperty("alias").GetString());
        Assert.Equal("2", revision.GetProperty("route")[1].GetProperty("version").GetString());
        Assert.Equal(10, revision.GetProperty("route")[1].GetProperty("weight").GetDouble());
        Assert.Equal("x-customer", revision.GetProperty("sticky_key").GetProperty("header").GetString());
        Assert.Equal(16, revision.GetProperty("settings").GetProperty("max_batch_size").GetInt32());
        Assert.Equal("canary", revision.GetProperty("description").GetString());

        var got = (await Server.GetAsync($"{Api}/{name}")).Ok().GetProperty("deployment");
        Assert.Equal(created.GetRawText(), got.GetRawText());
        var listed = (await Server.GetAsync(Api + "?max_results=1000")).Ok().GetProperty("deployments").EnumerateArray();
        Assert.Contains(listed, d => d.GetProperty("name").GetString() == name);

        var updated = (await Server.PatchAsync($"{Api}/{name}", new { revision = 1, route = Route(model, 50, 50) })).Ok().GetProperty("deployment");
        Assert.Equal(2, updated.GetProperty("current_revision").GetInt64());
        Assert.False(updated.GetProperty("revision").TryGetProperty("shadow", out _));

        // A writer still holding revision 1 loses, and nothing changes.
        (await Server.PatchAsync($"{Api}/{name}", new { revision = 1, route = Route(model, 10, 90) })).IsError(HttpStatusCode.Conflict, "RESOURCE_CONFLICT");
        Assert.Equal(2, (await Server.GetAsync($"{Api}/{name}")).Ok().GetProperty("deployment").GetProperty("current_revision").GetInt64());

        var rolledBack = (await Server.PostAsync($"{Api}/{name}/rollback", new { to_revision = 1 })).Ok().GetProperty("deployment");
        Assert.Equal(3, rolledBack.GetProperty("current_revision").GetInt64());
        Assert.Equal(1, rolledBack.GetProperty("revision").GetProperty("rolled_back_from").GetInt64());
        Assert.Equal(revision.GetProperty("route").GetRawText(), rolledBack.GetProperty("revision").GetProperty("route").GetRawText());
        Assert.Equal("canary", rolledBack.GetProperty("revision").GetProperty("description").GetString());

        var revisions = (await Server.GetAsync($"{Api}/{name}/revisions")).Ok().GetProperty("revisions");
        Assert.Equal([3L, 2L, 1L], revisions.EnumerateArray().Select(r => r.GetProperty("revision").GetInt64()));
        var first = (await Server.GetAsync($"{Api}/{name}/revisions/1")).Ok().GetProperty("revision");
        Assert.Equal(revision.GetRawText(), first.GetRawText());
        (await Server.GetAsync($"{Api}/{name}/revisions/9")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        (await Server.DeleteAsync($"{Api}/{name}")).Ok();
        (await Server.GetAsync($"{Api}/{name}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync($"{Api}/{name}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Bad_requests_are_4xx_naming_the_field()
    {
        var model = await ModelAsync();
        var name = NewName("bad");

        async Task<string> RefusedAsync(object body, HttpStatusCode status = HttpStatusCode.BadRequest, string code = "INVALID_PARAMETER_VALUE")
        {
            var response = (await Server.PostAsync(Api, body)).IsError(status, code);
            return response.Json.GetProperty("message").GetString()!;
        }

        Assert.Contains("weights must add up to 100, got 95", await RefusedAsync(new { name, route = Route(model, 90, 5) }), StringComparison.Ordinal);
        Assert.Contains("route[0].model_name", await RefusedAsync(new { name, route = new[] { new { model_name = "no-such-model", version = "1" } } }), StringComparison.Ordinal);
        Assert.Contains("route[0].alias", await RefusedAsync(new { name, route = new[] { new { model_name = model, alias = "nope" } } }), StringComparison.Ordinal);
        Assert.Contains("route[0].version", await RefusedAsync(new { name, route = new[] { new { model_name = model, version = "7" } } }), StringComparison.Ordinal);
        Assert.Contains("shadow.model_name", await RefusedAsync(new { name, route = Route(model, 50, 50), shadow = new { model_name = "ghost", version = "1" } }), StringComparison.Ordinal);
        Assert.Contains("route", await RefusedAsync(new { name }), StringComparison.Ordinal);
        Assert.Contains("'name'", await RefusedAsync(new { name = "has/slash", route = Route(model, 50, 50) }), StringComparison.Ordinal);
        Assert.Contains("settings.log_sample_rate", await RefusedAsync(new { name, route = Route(model, 50, 50), settings = new { log_sample_rate = 3 } }), StringComparison.Ordinal);
        (await Server.GetAsync($"{Api}/{name}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        (await Server.PostAsync(Api, new { name, route = Route(model, 50, 50) })).Ok();
        await RefusedAsync(new { name, route = Route(model, 50, 50) }, HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await Server.PatchAsync($"{Api}/{name}", new { route = Route(model, 50, 50) })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PatchAsync($"{Api}/{name}", new { name = "other", revision = 1, route = Route(model, 50, 50) })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync($"{Api}/{name}/rollback", new { to_revision = 5 })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync($"{Api}/{name}/rollback", new { to_revision = 1, revision = 7 })).IsError(HttpStatusCode.Conflict, "RESOURCE_CONFLICT");
        (await Server.GetAsync($"{Api}/{name}/metrics?bucket=week")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}/{name}/metrics?from=10&to=5")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}/nope-{name}/metrics")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}?max_results=0")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Metrics_of_a_deployment_without_traffic_are_empty()
    {
        var model = await ModelAsync();
        var name = NewName("quiet");
        (await Server.PostAsync(Api, new { name, route = Route(model, 50, 50) })).Ok();
        var metrics = (await Server.GetAsync($"{Api}/{name}/metrics?bucket=hour")).Ok();
        Assert.Equal("hour", metrics.GetProperty("bucket").GetString());
        Assert.Equal(0, metrics.GetProperty("points").GetArrayLength());
        Assert.Equal(0, metrics.GetProperty("totals").GetArrayLength());
    }
}
