using System.Net;
using System.Text.Json;

namespace Strata.Server.Tests.Auth;

/// <summary>
/// What signed-in users may do, route group by route group: READ may not write, EDIT may not manage, creators
/// manage, NO_PERMISSIONS hides, admins pass; errors are 403 PERMISSION_DENIED and name no hidden data.
/// </summary>
public class PermissionTests(AuthServerFixture fixture) : IClassFixture<AuthServerFixture>
{
    private AuthTestServer Auth => fixture.Auth;

    private static async Task<string> ExperimentAsync(Caller owner, string name) =>
        (await owner.PostAsync("/api/2.0/mlflow/experiments/create", new { name })).Ok().GetProperty("experiment_id").GetString()!;

    private static async Task<string> RunAsync(Caller owner, string experimentId) =>
        (await owner.PostAsync("/api/2.0/mlflow/runs/create", new { experiment_id = experimentId })).Ok()
            .GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;

    private static object Batch(string runId) => new { run_id = runId, metrics = new[] { new { key = "m", value = 1.0, timestamp = 1, step = 0 } } };

    [Fact]
    public async Task Experiments_and_runs_follow_read_edit_manage()
    {
        var owner = await Auth.UserAsync("exp-owner");
        var reader = await Auth.UserAsync("exp-reader");
        var editor = await Auth.UserAsync("exp-editor");
        var exp = await ExperimentAsync(owner, "perm-exp");
        var run = await RunAsync(owner, exp); // the creator manages its experiment
        (await owner.PostAsync("/api/2.0/mlflow/runs/log-batch", Batch(run))).Ok();

        // Default READ: reads pass, writes do not.
        (await reader.GetAsync($"/api/2.0/mlflow/runs/get?run_id={run}")).Ok();
        (await reader.GetAsync($"/api/2.0/mlflow/metrics/get-history?run_id={run}&metric_key=m")).Ok();
        (await reader.PostAsync("/api/2.0/mlflow/runs/log-batch", Batch(run))).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await reader.PostAsync("/api/2.0/mlflow/runs/create", new { experiment_id = exp })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await reader.PostAsync("/api/2.0/mlflow/experiments/update", new { experiment_id = exp, new_name = "x" })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        // EDIT writes but does not delete or grant.
        (await owner.PostAsync("/api/2.0/mlflow/experiments/permissions/create", new { experiment_id = exp, username = "exp-editor", permission = "EDIT" })).Ok();
        (await editor.PostAsync("/api/2.0/mlflow/runs/log-batch", Batch(run))).Ok();
        (await editor.PostAsync("/api/2.0/mlflow/runs/delete", new { run_id = run })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await editor.PostAsync("/api/2.0/mlflow/experiments/delete", new { experiment_id = exp })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await editor.PostAsync("/api/2.0/mlflow/experiments/permissions/create", new { experiment_id = exp, username = "exp-reader", permission = "MANAGE" }))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        // The manager grants and revokes; the admin passes everywhere.
        var got = (await owner.GetAsync($"/api/2.0/mlflow/experiments/permissions/get?experiment_id={exp}&username=exp-editor")).Ok();
        Assert.Equal("EDIT", got.GetProperty("experiment_permission").GetProperty("permission").GetString());
        (await owner.PatchAsync("/api/2.0/mlflow/experiments/permissions/update", new { experiment_id = exp, username = "exp-editor", permission = "READ" })).Ok();
        (await editor.PostAsync("/api/2.0/mlflow/runs/log-batch", Batch(run))).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/runs/log-batch", Batch(run))).Ok();
        (await owner.PostAsync("/api/2.0/mlflow/runs/delete", new { run_id = run })).Ok();
    }

    [Fact]
    public async Task No_permissions_hides_an_experiment_its_runs_artifacts_and_traces_without_leaking_them()
    {
        var owner = await Auth.UserAsync("secret-owner");
        var outsider = await Auth.UserAsync("outsider");
        var exp = await ExperimentAsync(owner, "secret-experiment-name");
        var run = await RunAsync(owner, exp);
        (await owner.PostAsync("/api/2.0/mlflow/experiments/permissions/create", new { experiment_id = exp, username = "outsider", permission = "NO_PERMISSIONS" })).Ok();
        var upload = await owner.RawAsync(HttpMethod.Put, $"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/secret.txt", new StringContent("top secret"));
        Assert.Equal(HttpStatusCode.OK, upload.Status);
        var trace = (await owner.PostAsync("/api/2.0/mlflow/traces", new { experiment_id = exp, timestamp_ms = 1 })).Ok()
            .GetProperty("trace_info").GetProperty("request_id").GetString()!;

        foreach (var path in new[]
        {
            $"/api/2.0/mlflow/experiments/get?experiment_id={exp}",
            "/api/2.0/mlflow/experiments/get-by-name?experiment_name=secret-experiment-name",
            $"/api/2.0/mlflow/runs/get?run_id={run}",
            $"/api/2.0/mlflow/artifacts/list?run_id={run}",
            $"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run}/artifacts/secret.txt",
            $"/api/2.0/mlflow-artifacts/artifacts?path={exp}/{run}/artifacts",
            $"/get-artifact?run_id={run}&path=secret.txt",
            $"/api/2.0/mlflow/traces/{trace}/info",
            $"/api/3.0/mlflow/traces/{trace}",
            $"/api/2.0/mlflow/traces?experiment_ids={exp}",
        })
        {
            var r = await outsider.GetAsync(path);
            r.IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
            Assert.DoesNotContain("secret-experiment-name", r.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("top secret", r.Text, StringComparison.Ordinal);
        }

        (await outsider.PostAsync("/api/2.0/mlflow/runs/search", new { experiment_ids = new[] { "0", exp } })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await outsider.PostAsync("/api/3.0/mlflow/traces/search", new { locations = new[] { new { type = "MLFLOW_EXPERIMENT", mlflow_experiment = new { experiment_id = exp } } } }))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await outsider.PostAsync("/api/2.0/mlflow/runs/search", new { experiment_ids = new[] { "0" } })).Ok();
    }

    [Fact]
    public async Task Registered_models_follow_their_grants_through_rename_and_delete()
    {
        var owner = await Auth.UserAsync("model-owner");
        var reader = await Auth.UserAsync("model-reader");
        (await owner.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = "perm-model" })).Ok();
        (await reader.GetAsync("/api/2.0/mlflow/registered-models/get?name=perm-model")).Ok();
        (await reader.PostAsync("/api/2.0/mlflow/registered-models/set-tag", new { name = "perm-model", key = "k", value = "v" }))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await reader.PostAsync("/api/2.0/mlflow/model-versions/create", new { name = "perm-model", source = "s3://b/m" }))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await owner.PostAsync("/api/2.0/mlflow/model-versions/create", new { name = "perm-model", source = "s3://b/m" })).Ok();

        (await owner.PostAsync("/api/2.0/mlflow/registered-models/permissions/create", new { name = "perm-model", username = "model-reader", permission = "EDIT" })).Ok();
        (await reader.PostAsync("/api/2.0/mlflow/registered-models/set-tag", new { name = "perm-model", key = "k", value = "v" })).Ok();
        (await reader.DeleteAsync("/api/2.0/mlflow/registered-models/delete", new { name = "perm-model" })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        // Grants follow a rename.
        (await owner.PostAsync("/api/2.0/mlflow/registered-models/rename", new { name = "perm-model", new_name = "perm-model-2" })).Ok();
        (await reader.PostAsync("/api/2.0/mlflow/registered-models/set-tag", new { name = "perm-model-2", key = "k", value = "w" })).Ok();
        var got = (await owner.GetAsync("/api/2.0/mlflow/registered-models/permissions/get?name=perm-model-2&username=model-owner")).Ok();
        Assert.Equal("MANAGE", got.GetProperty("registered_model_permission").GetProperty("permission").GetString());

        // NO_PERMISSIONS hides it; the manager deletes it and the grants go with it.
        (await owner.PatchAsync("/api/2.0/mlflow/registered-models/permissions/update", new { name = "perm-model-2", username = "model-reader", permission = "NO_PERMISSIONS" })).Ok();
        (await reader.GetAsync("/api/2.0/mlflow/registered-models/get?name=perm-model-2")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await reader.GetAsync("/api/2.0/mlflow/model-versions/get?name=perm-model-2&version=1")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await reader.GetAsync("/model-versions/get-artifact?name=perm-model-2&version=1&path=MLmodel")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await owner.DeleteAsync("/api/2.0/mlflow/registered-models/delete", new { name = "perm-model-2" })).Ok();
        (await Auth.Admin.GetAsync("/api/2.0/mlflow/registered-models/permissions/get?name=perm-model-2&username=model-reader"))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        // The former owner's MANAGE went with the model too: a new model of that name starts clean.
        (await owner.GetAsync("/api/2.0/mlflow/registered-models/permissions/get?name=perm-model-2&username=model-owner"))
            .IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task Searches_hold_only_what_the_caller_may_read_with_full_pages()
    {
        var owner = await Auth.UserAsync("search-owner");
        var outsider = await Auth.UserAsync("search-outsider");
        var hidden = await ExperimentAsync(owner, "search-hidden-exp");
        var visible = await ExperimentAsync(owner, "search-visible-exp");
        (await owner.PostAsync("/api/2.0/mlflow/experiments/permissions/create", new { experiment_id = hidden, username = "search-outsider", permission = "NO_PERMISSIONS" })).Ok();
        (await owner.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = "search-hidden-model" })).Ok();
        (await owner.PostAsync("/api/2.0/mlflow/model-versions/create", new { name = "search-hidden-model", source = "s3://b/h" })).Ok();
        (await owner.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = "search-visible-model" })).Ok();
        (await owner.PostAsync("/api/2.0/mlflow/registered-models/permissions/create", new { name = "search-hidden-model", username = "search-outsider", permission = "NO_PERMISSIONS" })).Ok();

        // Page by page (one per page), the outsider never sees the hidden experiment, and every page is full until the end.
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = (await outsider.PostAsync("/api/2.0/mlflow/experiments/search", new { max_results = 1, filter = "name LIKE 'search-%'", page_token = token })).Ok();
            var names = page.TryGetProperty("experiments", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("name").GetString()!).ToList() : [];
            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
            Assert.True(names.Count == 1 || token is null);
            seen.AddRange(names);
        }
        while (token is not null);
        Assert.Equal(["search-visible-exp"], seen);
        var ownerSees = (await owner.PostAsync("/api/2.0/mlflow/experiments/search", new { filter = "name LIKE 'search-%'" })).Ok().GetRawText();
        Assert.Contains("search-hidden-exp", ownerSees, StringComparison.Ordinal);

        var models = (await outsider.GetAsync("/api/2.0/mlflow/registered-models/search?filter=name%20LIKE%20'search-%25'")).Ok().GetRawText();
        Assert.Contains("search-visible-model", models, StringComparison.Ordinal);
        Assert.DoesNotContain("search-hidden-model", models, StringComparison.Ordinal);
        var versions = (await outsider.GetAsync("/api/2.0/mlflow/model-versions/search?filter=name%3D'search-hidden-model'")).Ok().GetRawText();
        Assert.DoesNotContain("search-hidden-model", versions, StringComparison.Ordinal);
        var adminVersions = (await Auth.Admin.GetAsync("/api/2.0/mlflow/model-versions/search?filter=name%3D'search-hidden-model'")).Ok().GetRawText();
        Assert.Contains("search-hidden-model", adminVersions, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Users_api_is_admin_only_except_for_oneself()
    {
        var user = await Auth.UserAsync("plain-user");
        await Auth.UserAsync("other-user");
        var me = (await user.GetAsync("/api/2.0/mlflow/users/get?username=plain-user")).Ok().GetProperty("user");
        Assert.Equal("plain-user", me.GetProperty("username").GetString());
        Assert.False(me.GetProperty("is_admin").GetBoolean());
        Assert.False(me.TryGetProperty("password_hash", out _));
        (await user.GetAsync("/api/2.0/mlflow/users/get?username=other-user")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await user.PostAsync("/api/2.0/mlflow/users/create", new { username = "sneaky", password = "sneaky-pw-1" })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await user.PatchAsync("/api/2.0/mlflow/users/update-admin", new { username = "plain-user", is_admin = true })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await user.PatchAsync("/api/2.0/mlflow/users/update-password", new { username = "other-user", password = "hijacked-1" })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await user.DeleteAsync("/api/2.0/mlflow/users/delete", new { username = "other-user" })).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await user.GetAsync("/api/2.0/strata/users")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        (await user.GetAsync("/api/2.0/mlflow/webhooks")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");

        var users = (await Auth.Admin.GetAsync("/api/2.0/strata/users")).Ok().GetProperty("users").EnumerateArray().Select(u => u.GetProperty("username").GetString()).ToList();
        Assert.Contains("plain-user", users);
        (await Auth.Admin.PatchAsync("/api/2.0/mlflow/users/update-admin", new { username = "plain-user", is_admin = true })).Ok();
        (await user.GetAsync("/api/2.0/mlflow/users/get?username=other-user")).Ok();
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/users/create", new { username = "plain-user", password = "again-pw-1" })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/users/create", new { username = "short-pw", password = "short" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Auth.Admin.PostAsync("/api/2.0/mlflow/experiments/permissions/create", new { experiment_id = "0", username = "other-user", permission = "ALL" }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Changes_are_recorded_as_the_authenticated_user()
    {
        var user = await Auth.UserAsync("audited-user");
        var exp = await ExperimentAsync(user, "audited-exp");
        var run = (await user.PostAsync("/api/2.0/mlflow/runs/create", new { experiment_id = exp, user_id = "someone-else" })).Ok();
        Assert.Equal("audited-user", run.GetProperty("run").GetProperty("info").GetProperty("user_id").GetString());
        (await user.PostAsync("/api/2.0/mlflow/registered-models/create", new { name = "audited-model" })).Ok();
        var events = (await Auth.Admin.GetAsync("/api/2.0/strata/registry/events?name=audited-model")).Ok();
        Assert.Contains("audited-user", events.GetRawText(), StringComparison.Ordinal);
        // Without a model name the event log is everyone's: admins only.
        (await user.GetAsync("/api/2.0/strata/registry/events")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
    }

    [Fact]
    public async Task Default_permission_no_permissions_denies_what_is_not_granted()
    {
        await using var strict = await AuthTestServer.StartAsync(o => o.Auth.DefaultPermission = Strata.Core.Auth.Permission.NO_PERMISSIONS);
        var user = await strict.UserAsync("strict-user");
        (await user.GetAsync("/api/2.0/mlflow/experiments/get?experiment_id=0")).IsError(HttpStatusCode.Forbidden, "PERMISSION_DENIED");
        var exp = await ExperimentAsync(user, "strict-own");
        (await user.GetAsync($"/api/2.0/mlflow/experiments/get?experiment_id={exp}")).Ok();
        var listed = (await user.PostAsync("/api/2.0/mlflow/experiments/search", new { max_results = 100 })).Ok()
            .GetProperty("experiments").EnumerateArray().Select(e => e.GetProperty("experiment_id").GetString()).ToList();
        Assert.Equal([exp], listed);
    }
}
