using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Auth;
using Strata.Server.Auth;
using Strata.Server.Tests.Auth;

namespace Strata.Server.Tests.Ui;

/// <summary>
/// With <c>--auth</c> (default NO_PERMISSIONS) a signed-in non-admin's pages show only what its grants let it read,
/// pages of other resources answer the UI's 403 page without their names, and actions need EDIT/MANAGE as in the API:
/// their buttons are hidden and a posted form is refused.
/// </summary>
public class UiPermissionTests(UiAuthFixture fixture) : IClassFixture<UiAuthFixture>
{
    private AuthTestServer Auth => fixture.Auth;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private async Task<string> ExperimentAsync(string name) =>
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/experiments/create", new { name })).Ok().GetProperty("experiment_id").GetString()!;

    private async Task GrantExperimentAsync(string id, string username, string permission) =>
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/experiments/permissions/create", new { experiment_id = id, username, permission })).Ok();

    private async Task GrantModelAsync(string name, string username, string permission)
    {
        var existing = await Auth.Admin.GetAsync($"/api/2.0/mlflow/registered-models/permissions/get?name={name}&username={username}");
        if (existing.Status == HttpStatusCode.OK)
        {
            (await Auth.Admin.PatchAsync("/api/2.0/mlflow/registered-models/permissions/update", new { name, username, permission })).Ok();
        }
        else
        {
            (await Auth.Admin.PostAsync("/api/2.0/mlflow/registered-models/permissions/create", new { name, username, permission })).Ok();
        }
    }

    private async Task<UiBrowser> SignedInAsync(string username, string password)
    {
        var browser = new UiBrowser(Auth.Server.BaseAddress);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SignInAsync(username, password)).Status);
        return browser;
    }

    [Fact]
    public async Task A_user_sees_only_the_experiments_models_and_deployments_it_may_read()
    {
        var user = Unique("ui-reader");
        await Auth.UserAsync(user, "reader-password");
        var (visible, hidden) = (Unique("exp-vis"), Unique("exp-hid"));
        var (visibleId, hiddenId) = (await ExperimentAsync(visible), await ExperimentAsync(hidden));
        await GrantExperimentAsync(visibleId, user, "READ");

        var (model, secretModel) = (Unique("model-vis"), Unique("model-hid"));
        foreach (var name in new[] { model, secretModel })
        {
            (await Auth.Admin.PostAsync("/api/2.0/mlflow/registered-models/create", new { name })).Ok();
            (await Auth.Admin.PostAsync("/api/2.0/mlflow/model-versions/create", new { name, source = "s3://bucket/model" })).Ok();
        }

        await GrantModelAsync(model, user, "READ");
        var (deployment, secretDeployment) = (Unique("dep-vis"), Unique("dep-hid"));
        foreach (var name in new[] { deployment, secretDeployment })
        {
            (await Auth.Admin.PostAsync("/api/2.0/strata/deployments", new { name, route = new[] { new { model_name = model, version = "1", weight = 100 } } })).Ok();
        }

        // Deployments have no grant API: their creator manages them; here the grant is made directly.
        var userId = (await Auth.Admin.GetAsync($"/api/2.0/mlflow/users/get?username={user}")).Ok().GetProperty("user").GetProperty("id").GetInt64();
        await Auth.Server.Services.GetRequiredService<IAuthStore>().SetDeploymentPermissionAsync(deployment, userId, Permission.READ, default);
        Auth.Server.Services.GetRequiredService<AuthVersionMonitor>().MarkStale();

        using var browser = await SignedInAsync(user, "reader-password");
        var experiments = await browser.GetAsync("/experiments");
        Assert.Equal(HttpStatusCode.OK, experiments.Status);
        Assert.Contains(visible, experiments.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(hidden, experiments.Html, StringComparison.Ordinal);

        var models = await browser.GetAsync("/models");
        Assert.Contains(model, models.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(secretModel, models.Html, StringComparison.Ordinal);

        var deployments = await browser.GetAsync("/deployments");
        Assert.Contains(deployment, deployments.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(secretDeployment, deployments.Html, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/experiments/{visibleId}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/models/{model}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync($"/deployments/{deployment}")).Status);

        // Pages of what it may not read: the UI's 403 page, which names nothing.
        foreach (var (path, secret) in new[]
        {
            ($"/experiments/{hiddenId}", hidden), ($"/experiments/{hiddenId}/traces", hidden), ($"/runs?e={visibleId}&e={hiddenId}", hidden),
            ($"/models/{secretModel}", secretModel), ($"/models/{secretModel}/versions/1", secretModel), ($"/deployments/{secretDeployment}", secretDeployment),
        })
        {
            var page = await browser.GetAsync(path);
            Assert.True(page.Status == HttpStatusCode.Forbidden, $"{path}: {page.Status}");
            Assert.Contains("id=\"forbidden\"", page.Html, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, page.Html, StringComparison.Ordinal);
        }

        // An admin sees everything.
        using var admin = await SignedInAsync(AuthTestServer.AdminName, AuthTestServer.AdminPassword);
        var all = await admin.GetAsync("/experiments");
        Assert.Contains(visible, all.Html, StringComparison.Ordinal);
        Assert.Contains(hidden, all.Html, StringComparison.Ordinal);
        Assert.Contains(secretDeployment, (await admin.GetAsync("/deployments")).Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/models/{secretModel}")).Status);
    }

    [Fact]
    public async Task A_run_or_trace_page_follows_its_experiment()
    {
        var user = Unique("ui-runs");
        await Auth.UserAsync(user, "runs-password");
        var hiddenId = await ExperimentAsync(Unique("exp-runs"));
        var runId = (await Auth.Admin.PostAsync("/api/2.0/mlflow/runs/create", new { experiment_id = hiddenId, run_name = "secret-run-name" })).Ok()
            .GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
        using var browser = await SignedInAsync(user, "runs-password");
        var page = await browser.GetAsync($"/runs/{runId}");
        Assert.Equal(HttpStatusCode.Forbidden, page.Status);
        Assert.DoesNotContain("secret-run-name", page.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync($"/compare?runs={runId}&runs={runId}x")).Status);

        await GrantExperimentAsync(hiddenId, user, "READ");
        var allowed = await browser.GetAsync($"/runs/{runId}");
        Assert.Equal(HttpStatusCode.OK, allowed.Status);
        Assert.Contains("secret-run-name", allowed.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Experiment_actions_need_edit_or_manage_and_a_created_experiment_is_managed_by_its_creator()
    {
        var user = Unique("ui-actor");
        await Auth.UserAsync(user, "actor-password");
        var name = Unique("exp-act");
        var id = await ExperimentAsync(name);
        await GrantExperimentAsync(id, user, "READ");
        using var browser = await SignedInAsync(user, "actor-password");

        var list = await browser.GetAsync("/experiments");
        Assert.Contains(name, list.Html, StringComparison.Ordinal);
        Assert.DoesNotContain($"rename={id}\"", list.Html, StringComparison.Ordinal);
        Assert.DoesNotContain($"delete:{id}", list.Html, StringComparison.Ordinal);

        // Posted anyway: refused, and nothing changed.
        var refused = await browser.SubmitAsync("/experiments", "ops", [new("Op", $"delete:{id}")]);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains($"MANAGE on experiment {id} is required", refused.Html, StringComparison.Ordinal);
        var rename = await browser.SubmitAsync("/experiments", "rename", [new("RenameId", id), new("RenameTo", name + "-renamed")]);
        Assert.Equal(HttpStatusCode.Forbidden, rename.Status);
        var after = (await Auth.Admin.GetAsync($"/api/2.0/mlflow/experiments/get?experiment_id={id}")).Ok().GetProperty("experiment");
        Assert.Equal(name, after.GetProperty("name").GetString());
        Assert.Equal("active", after.GetProperty("lifecycle_stage").GetString());

        // Created in the UI: the creator manages it, as through the API.
        var mine = Unique("exp-mine");
        var created = await browser.SubmitAsync("/experiments", "create", [new("NewName", mine)]);
        Assert.Equal(HttpStatusCode.Redirect, created.Status);
        var mineId = new Uri(Auth.Server.BaseAddress, created.Location!).AbsolutePath.Split('/')[^1];
        var listed = await browser.GetAsync("/experiments");
        Assert.Contains($"rename={mineId}\"", listed.Html, StringComparison.Ordinal);
        Assert.Contains($"delete:{mineId}", listed.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SubmitAsync("/experiments", "ops", [new("Op", $"delete:{mineId}")])).Status);
    }

    [Fact]
    public async Task Model_actions_appear_with_edit_and_alias_removal_with_manage()
    {
        var user = Unique("ui-modeler");
        await Auth.UserAsync(user, "modeler-password");
        var model = Unique("model-act");
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = model })).Ok();
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/model-versions/create", new { name = model, source = "s3://bucket/model" })).Ok();
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/registered-models/alias", new { name = model, alias = "champion", version = "1" })).Ok();
        await GrantModelAsync(model, user, "READ");
        using var browser = await SignedInAsync(user, "modeler-password");

        var read = await browser.GetAsync($"/models/{model}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.DoesNotContain("id=\"edit-description\"", read.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"alias-form\"", read.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("unalias:champion", read.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("stage:1:", read.Html, StringComparison.Ordinal);
        var refused = await browser.SubmitAsync($"/models/{model}", "model-ops", [new("Op", "stage:1:Production")]);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);

        await GrantModelAsync(model, user, "EDIT");
        var edit = await browser.GetAsync($"/models/{model}");
        Assert.Contains("id=\"edit-description\"", edit.Html, StringComparison.Ordinal);
        Assert.Contains("id=\"alias-form\"", edit.Html, StringComparison.Ordinal);
        Assert.Contains("stage:1:Production", edit.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("unalias:champion", edit.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, (await browser.SubmitAsync($"/models/{model}", "model-ops", [new("Op", "unalias:champion")])).Status);

        await GrantModelAsync(model, user, "MANAGE");
        Assert.Contains("unalias:champion", (await browser.GetAsync($"/models/{model}")).Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.SubmitAsync($"/models/{model}", "model-ops", [new("Op", "unalias:champion")])).Status);
    }
}
