using System.Net;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Auth;

/// <summary>
/// Grants on deployments over REST (create/get/update/delete, MANAGE needed), listing that holds only readable
/// deployments with exact paging, and tokens limited to one deployment.
/// </summary>
public class DeploymentPermissionTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private const string Api = "/api/2.0/strata/deployments";
    private const string Grants = "/api/2.0/strata/deployments/permissions/";

    private AuthTestServer Auth => fixture.Auth;

    private static string NewName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A registered model (the admin's, readable by default) with one version.</summary>
    private async Task<string> ModelAsync()
    {
        var name = NewName("dp-model");
        (await Auth.Admin.PostAsync(TrackingClient.Api + "registered-models/create", new { name })).Ok();
        (await Auth.Admin.PostAsync(TrackingClient.Api + "model-versions/create", new { name, source = "s3://bucket/one" })).Ok();
        return name;
    }

    private static async Task<string> DeploymentAsync(Caller owner, string model, string? name = null)
    {
        name ??= NewName("dp");
        (await owner.PostAsync(Api, new { name, route = new[] { new { model_name = model, version = "1", weight = 100 } } })).Ok();
        return name;
    }

    [Fact]
    public async Task Managers_grant_read_edit_manage_and_no_permissions_on_a_deployment()
    {
        var model = await ModelAsync();
        var owner = await Auth.UserAsync("dp-owner");
        var friend = await Auth.UserAsync("dp-friend");
        var name = await DeploymentAsync(owner, model);
        var current = (await owner.GetAsync($"{Api}/{name}")).Ok().GetProperty("deployment").GetProperty("current_revision").GetInt64();
        object Patch(long revision) => new { revision, route = new[] { new { model_name = model, version = "1", weight = 100 } } };

        // Default READ: the friend reads but does not change, delete or grant.
        (await friend.GetAsync($"{Api}/{name}")).Ok();
        (await friend.PatchAsync($"{Api}/{name}", Patch(current))).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await friend.PostAsync(Grants + "create", new { deployment_name = name, username = "dp-friend", permission = "MANAGE" }))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        // The creator manages: EDIT lets the friend change it, not delete it or grant.
        var created = (await owner.PostAsync(Grants + "create", new { deployment_name = name, username = "dp-friend", permission = "EDIT" })).Ok();
        var grant = created.GetProperty("deployment_permission");
        Assert.Equal(name, grant.GetProperty("deployment_name").GetString());
        Assert.Equal("EDIT", grant.GetProperty("permission").GetString());
        (await owner.PostAsync(Grants + "create", new { deployment_name = name, username = "dp-friend", permission = "READ" }))
            .IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await friend.PatchAsync($"{Api}/{name}", Patch(current))).Ok();
        (await friend.DeleteAsync($"{Api}/{name}")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await friend.GetAsync($"{Grants}get?deployment_name={name}&username=dp-friend")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        // NO_PERMISSIONS hides it, from reading and from serving; the user's page shows the grant.
        (await owner.PatchAsync(Grants + "update", new { deployment_name = name, username = "dp-friend", permission = "NO_PERMISSIONS" })).Ok();
        var got = (await owner.GetAsync($"{Grants}get?deployment_name={name}&username=dp-friend")).Ok();
        Assert.Equal("NO_PERMISSIONS", got.GetProperty("deployment_permission").GetProperty("permission").GetString());
        var user = (await Auth.Admin.GetAsync("/api/2.0/mlflow/users/get?username=dp-friend")).Ok().GetProperty("user");
        Assert.Contains(user.GetProperty("deployment_permissions").EnumerateArray(), p => p.GetProperty("deployment_name").GetString() == name);
        (await friend.GetAsync($"{Api}/{name}")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        var (invoke, _, _) = await friend.RawAsync(HttpMethod.Post, $"/deployments/{name}/invocations", Json(new { inputs = new[] { 1 } }));
        Assert.Equal(HttpStatusCode.Forbidden, invoke);

        // MANAGE lets the friend grant; deleting the grant restores the default.
        (await owner.PatchAsync(Grants + "update", new { deployment_name = name, username = "dp-friend", permission = "MANAGE" })).Ok();
        (await friend.GetAsync($"{Grants}get?deployment_name={name}&username=dp-owner")).Ok();
        (await friend.DeleteAsync(Grants + "delete", new { deployment_name = name, username = "dp-friend" })).Ok();
        (await Auth.Admin.GetAsync($"{Grants}get?deployment_name={name}&username=dp-friend")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await friend.GetAsync($"{Api}/{name}")).Ok();
        (await friend.DeleteAsync($"{Api}/{name}")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task Grant_requests_name_their_fields_and_the_deployment_must_exist()
    {
        (await Auth.Admin.PostAsync(Grants + "create", new { username = "admin", permission = "READ" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Auth.Admin.PostAsync(Grants + "create", new { deployment_name = NewName("missing"), username = "admin", permission = "READ" }))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var name = await DeploymentAsync(Auth.Admin, await ModelAsync());
        (await Auth.Admin.PostAsync(Grants + "create", new { deployment_name = name, username = "nobody-here", permission = "READ" }))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        await Auth.UserAsync("dp-typo");
        var bad = (await Auth.Admin.PostAsync(Grants + "create", new { deployment_name = name, username = "dp-typo", permission = "WRITE" }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("permission", bad.Text, StringComparison.Ordinal);
        (await Auth.Anonymous.PostAsync(Grants + "create", new { deployment_name = name, username = "dp-typo", permission = "READ" }))
            .IsError(HttpStatusCode.Unauthorized, "UNAUTHENTICATED");
    }

    [Fact]
    public async Task Listing_holds_only_readable_deployments_and_pages_stay_exact()
    {
        await using var auth = await AuthTestServer.StartAsync(o => o.Auth.DefaultPermission = Core.Auth.Permission.NO_PERMISSIONS);
        (await auth.Admin.PostAsync(TrackingClient.Api + "registered-models/create", new { name = "m" })).Ok();
        (await auth.Admin.PostAsync(TrackingClient.Api + "model-versions/create", new { name = "m", source = "s3://bucket/one" })).Ok();
        var viewer = await auth.UserAsync("viewer");
        var readable = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            var name = $"list-{i}";
            await DeploymentAsync(auth.Admin, "m", name);
            if (i % 2 == 0)
            {
                (await auth.Admin.PostAsync(Grants + "create", new { deployment_name = name, username = "viewer", permission = "READ" })).Ok();
                readable.Add(name);
            }
        }

        // A page of one holds one readable deployment, every time, and the token ends exactly after the last.
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = (await viewer.GetAsync($"{Api}?max_results=1" + (token is null ? "" : "&page_token=" + Uri.EscapeDataString(token)))).Ok();
            seen.AddRange(page.GetProperty("deployments").EnumerateArray().Select(d => d.GetProperty("name").GetString()!));
            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
            Assert.True(seen.Count < readable.Count || token is null);
        }
        while (token is not null);
        Assert.Equal(readable, seen);

        var all = (await auth.Admin.GetAsync($"{Api}?max_results=100")).Ok().GetProperty("deployments").GetArrayLength();
        Assert.Equal(7, all);
        // A denied deployment is neither listed nor readable.
        (await viewer.GetAsync($"{Api}/list-1")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task A_token_limited_to_one_deployment_calls_its_endpoints_and_nothing_else()
    {
        var model = await ModelAsync();
        var owner = await Auth.UserAsync("dp-token-owner");
        var mine = await DeploymentAsync(owner, model);
        var other = await DeploymentAsync(owner, model);
        var secret = (await owner.PostAsync("/api/2.0/strata/tokens", new { name = "serve", deployment = mine })).Ok().GetProperty("secret").GetString()!;
        var bearer = Auth.Bearer(secret);

        // Every serving endpoint of its deployment passes authorization (the model itself is not loadable here).
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Post, $"/deployments/{mine}/invocations"),
            (HttpMethod.Get, $"/deployments/{mine}/ping"),
            (HttpMethod.Get, $"/deployments/{mine}/v2/health/ready"),
            (HttpMethod.Get, $"/deployments/{mine}/v2/models/{model}"),
            (HttpMethod.Post, $"/deployments/{mine}/v2/models/{model}/infer"),
        })
        {
            var (status, _, text) = await bearer.RawAsync(method, path, method == HttpMethod.Post ? Json(new { inputs = new[] { 1 } }) : null);
            Assert.True(status is not HttpStatusCode.Unauthorized and not HttpStatusCode.Forbidden, $"{method} {path}: {status} {text}");
        }

        // Another deployment, the deployments API (even its own deployment's), grants, tracking: all refused.
        var (otherStatus, _, _) = await bearer.RawAsync(HttpMethod.Post, $"/deployments/{other}/invocations", Json(new { inputs = new[] { 1 } }));
        Assert.Equal(HttpStatusCode.Forbidden, otherStatus);
        (await bearer.GetAsync($"{Api}/{mine}")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await bearer.GetAsync(Api)).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await bearer.GetAsync($"{Grants}get?deployment_name={mine}&username=dp-token-owner")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await bearer.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        // The token acts only while its owner may read the deployment (the creator's MANAGE grant, taken away).
        (await Auth.Admin.PatchAsync(Grants + "update", new { deployment_name = mine, username = "dp-token-owner", permission = "NO_PERMISSIONS" })).Ok();
        var (revoked, _, _) = await bearer.RawAsync(HttpMethod.Get, $"/deployments/{mine}/ping");
        Assert.Equal(HttpStatusCode.Forbidden, revoked);
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
