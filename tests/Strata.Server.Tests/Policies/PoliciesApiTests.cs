using System.Net;
using System.Text.Json;
using Strata.Core.Deployments;
using Strata.Server.Tests.Infrastructure;
using Strata.Server.Tests.Webhooks;
using static Strata.Server.Tests.Policies.PolicyTestSupport;

namespace Strata.Server.Tests.Policies;

/// <summary>Promotion policies over HTTP: the gate, approvals, canaries fed through the real service metrics store, and their webhooks.</summary>
public sealed class PoliciesApiTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _server = await StrataTestServer.StartAsync(Fast);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private static object Gate(double minImprovement = 0.02, bool sameDataset = true) =>
        new { metric = "val_rmse", direction = "min", min_improvement = minImprovement, same_dataset = sameDataset };

    [Fact]
    public async Task The_gate_promotes_better_versions_and_refuses_worse_ones_and_missing_metrics_with_signed_webhooks()
    {
        var model = Unique("gate");
        await _server.CreateModelAsync(model);
        (await _server.PostAsync("/api/2.0/strata/webhooks", new
        {
            name = "decisions",
            url = _receiver.Url,
            secret = _receiver.Secret,
            events = new[] { new { entity = "POLICY", action = "DECIDED" } },
        })).Ok();
        var policy = await _server.CreatePolicyAsync(new { name = "rmse-gate", model_name = model, gate = Gate(), actions = new { set_alias = "challenger", promote = true } });

        var v1 = await _server.VersionAsync(model, "val_rmse", 0.50);
        var first = await _server.WaitForStatusAsync(policy, v1, "PROMOTED");
        Assert.Contains("no @champion yet", Reasons(first));
        Assert.Equal(v1, await _server.AliasAsync(model, "champion"));

        var v2 = await _server.VersionAsync(model, "val_rmse", 0.495); // 1 % better: not enough
        var refused = await _server.WaitForStatusAsync(policy, v2, "REFUSED");
        Assert.Contains("at least 2 %", Reasons(refused));
        Assert.Equal(0.495, refused.GetProperty("details").GetProperty("candidate_value").GetDouble());
        Assert.Equal(0.50, refused.GetProperty("details").GetProperty("champion_value").GetDouble());

        var v3 = await _server.VersionAsync(model, "val_rmse", 0.45); // 10 % better
        var promoted = await _server.WaitForStatusAsync(policy, v3, "PROMOTED");
        Assert.Contains("10 % better", Reasons(promoted));
        Assert.Equal(v3, await _server.AliasAsync(model, "champion"));
        Assert.Equal(v3, await _server.AliasAsync(model, "challenger"));

        var v4 = await _server.VersionAsync(model, "val_rmse", null);
        var missing = await _server.WaitForStatusAsync(policy, v4, "REFUSED");
        Assert.Contains("Metric 'val_rmse' is missing", Reasons(missing));
        var v5 = await _server.VersionAsync(model, "val_rmse", 0.1, digest: "other-data");
        Assert.Contains("no digest in common", Reasons(await _server.WaitForStatusAsync(policy, v5, "REFUSED")));
        Assert.Equal(v3, await _server.AliasAsync(model, "champion")); // never moved to a version without the metric

        // Every decision reached the receiver, signed the MLflow way, with its status and reasons.
        var seen = await _receiver.WaitAsync(r => r.Count >= 5);
        Assert.All(seen, r => Assert.True(r.SignatureValid));
        Assert.All(seen, r => Assert.Equal("policy.decided", r.Event));
        var statuses = seen.Select(r =>
        {
            using var body = JsonDocument.Parse(r.Body);
            var data = body.RootElement.GetProperty("data");
            Assert.Equal("rmse-gate", data.GetProperty("policy_name").GetString());
            return (Version(data), Status(data));
        }).ToList();
        Assert.Equal([(v1, "PROMOTED"), (v2, "REFUSED"), (v3, "PROMOTED"), (v4, "REFUSED"), (v5, "REFUSED")], statuses);
    }

    [Fact]
    public async Task Approval_holds_a_decision_until_approved_or_rejected()
    {
        var model = Unique("approval");
        await _server.CreateModelAsync(model);
        var policy = await _server.CreatePolicyAsync(new { name = "ask-first", model_name = model, gate = Gate(0), actions = new { require_approval = true, promote = true } });
        var v1 = await _server.VersionAsync(model, "val_rmse", 0.5);
        var pending = await _server.WaitForStatusAsync(policy, v1, "PENDING_APPROVAL");
        Assert.Null(await _server.AliasAsync(model, "champion"));
        var id = pending.GetProperty("decision_id").GetString()!;

        var approved = (await _server.PostAsync($"{PoliciesPrefix}/{policy}/decisions/{id}/approve", new { user = "alice", comment = "looks good" })).Ok().GetProperty("decision");
        Assert.Equal("PROMOTED", Status(approved));
        Assert.Equal("alice", approved.GetProperty("decided_by").GetString());
        Assert.Contains("Approved by alice: looks good", Reasons(approved));
        Assert.Equal(v1, await _server.AliasAsync(model, "champion"));
        (await _server.PostAsync($"{PoliciesPrefix}/{policy}/decisions/{id}/approve", new { })).IsError(HttpStatusCode.Conflict, "RESOURCE_CONFLICT");

        var v2 = await _server.VersionAsync(model, "val_rmse", 0.4);
        var second = (await _server.WaitForStatusAsync(policy, v2, "PENDING_APPROVAL")).GetProperty("decision_id").GetString()!;
        var rejected = (await _server.PostAsync($"{PoliciesPrefix}/{policy}/decisions/{second}/reject", new { user = "bob" })).Ok().GetProperty("decision");
        Assert.Equal("REJECTED", Status(rejected));
        Assert.Equal(v1, await _server.AliasAsync(model, "champion"));
        (await _server.PostAsync($"{PoliciesPrefix}/{policy}/decisions/{second}/approve", new { })).IsError(HttpStatusCode.Conflict, "RESOURCE_CONFLICT");
        (await _server.PostAsync($"{PoliciesPrefix}/{policy}/decisions/nope/approve", new { })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        // On demand: the newest version again, as a new decision.
        var again = (await _server.PostAsync($"{PoliciesPrefix}/{policy}/evaluate", new { })).Ok().GetProperty("decision");
        Assert.Equal((v2, "PENDING_APPROVAL"), (Version(again), Status(again)));
        Assert.False(again.TryGetProperty("event_id", out _));
        var byNumber = (await _server.PostAsync($"{PoliciesPrefix}/{policy}/evaluate", new { version = "1" })).Ok().GetProperty("decision");
        Assert.Equal("REFUSED", Status(byNumber)); // version 1 already is @champion
        (await _server.PostAsync($"{PoliciesPrefix}/{policy}/evaluate", new { version = "99" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task A_canary_is_promoted_when_its_service_metrics_hold_up_and_rolled_back_when_they_do_not()
    {
        var model = Unique("canary");
        await _server.CreateModelAsync(model);
        var v1 = await _server.VersionAsync(model, "val_rmse", 0.5);
        (await _server.PostAsync(Api + "registered-models/alias", new { name = model, alias = "champion", version = v1.ToString() })).Ok();
        var deployment = Unique("dep");
        (await _server.PostAsync("/api/2.0/strata/deployments", new { name = deployment, route = new[] { new { model_name = model, alias = "champion", weight = 100 } } })).Ok();
        var policy = await _server.CreatePolicyAsync(new
        {
            name = "canary",
            model_name = model,
            gate = Gate(),
            actions = new { set_alias = "challenger", promote = true, canary = new { deployment, percent = 10, min_requests = 50 } },
        });

        var v2 = await _server.VersionAsync(model, "val_rmse", 0.4);
        var canary = await _server.WaitForStatusAsync(policy, v2, "CANARY");
        Assert.Equal(1, canary.GetProperty("details").GetProperty("revision_before").GetInt64());
        var route = await RouteAsync(deployment);
        Assert.Equal([($"{model}@champion", 90d), ($"{model}/{v2}", 10d)], route);
        Assert.Equal(v1, await _server.AliasAsync(model, "champion"));

        // Too few requests yet: still a canary.
        var minute = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await FeedAsync(deployment, model, v2, requests: 20, errors: 0, latencyMs: 8, atMs: minute);
        await FeedAsync(deployment, model, v1, requests: 500, errors: 5, latencyMs: 10, replica: "r1");
        await Task.Delay(300);
        Assert.Equal("CANARY", Status((await _server.GetAsync($"{PoliciesPrefix}/{policy}/decisions/{canary.GetProperty("decision_id").GetString()}")).Ok().GetProperty("decision")));

        await FeedAsync(deployment, model, v2, requests: 60, errors: 0, latencyMs: 8, atMs: minute);
        var promoted = await _server.WaitForStatusAsync(policy, v2, "PROMOTED");
        Assert.Equal(60, promoted.GetProperty("details").GetProperty("candidate_requests").GetInt64());
        Assert.Equal(v2, await _server.AliasAsync(model, "champion"));
        Assert.Equal([($"{model}@champion", 100d)], await RouteAsync(deployment));

        // A worse canary (half its requests fail) is rolled back to the route before it.
        var v3 = await _server.VersionAsync(model, "val_rmse", 0.3);
        await _server.WaitForStatusAsync(policy, v3, "CANARY");
        var before = (await _server.GetAsync($"/api/2.0/strata/deployments/{deployment}")).Ok().GetProperty("deployment").GetProperty("current_revision").GetInt64();
        await FeedAsync(deployment, model, v3, requests: 60, errors: 30, latencyMs: 8);
        var rolledBack = await _server.WaitForStatusAsync(policy, v3, "ROLLED_BACK");
        Assert.Contains("error rate", Reasons(rolledBack));
        var current = (await _server.GetAsync($"/api/2.0/strata/deployments/{deployment}")).Ok().GetProperty("deployment");
        Assert.Equal(before + 1, current.GetProperty("current_revision").GetInt64());
        Assert.Equal(before - 1, current.GetProperty("revision").GetProperty("rolled_back_from").GetInt64());
        Assert.Equal([($"{model}@champion", 100d)], await RouteAsync(deployment));
        Assert.Equal(v2, await _server.AliasAsync(model, "champion"));
    }

    [Fact]
    public async Task Strata_events_reach_webhooks_and_mlflow_routes_hide_them()
    {
        var model = Unique("events");
        await _server.CreateModelAsync(model);
        var v1 = await _server.VersionAsync(model, "val_rmse", 0.5);
        var hook = (await _server.PostAsync("/api/2.0/strata/webhooks", new
        {
            name = "strata-events",
            url = _receiver.Url,
            secret = _receiver.Secret,
            events = new object[]
            {
                new { entity = "DEPLOYMENT", action = "CREATED" }, new { entity = "DEPLOYMENT", action = "UPDATED" }, new { entity = "DEPLOYMENT", action = "DELETED" },
                new { entity = "ALERT", action = "FIRED" }, new { entity = "ALERT", action = "RESOLVED" }, new { entity = "JOB", action = "FINISHED" },
                new { entity = "MODEL_VERSION", action = "CREATED" },
            },
        })).Ok().GetProperty("webhook");
        var id = hook.GetProperty("webhook_id").GetString()!;
        Assert.Equal(7, hook.GetProperty("events").GetArrayLength());
        // MLflow's client cannot parse Strata's entities: MLflow's routes leave them out.
        var asMlflow = (await _server.GetAsync($"{Api}webhooks/{id}")).Ok().GetProperty("webhook");
        Assert.Equal("MODEL_VERSION", asMlflow.GetProperty("events").EnumerateArray().Single().GetProperty("entity").GetString());
        Assert.Equal(7, (await _server.GetAsync($"/api/2.0/strata/webhooks/{id}")).Ok().GetProperty("webhook").GetProperty("events").GetArrayLength());

        var deployment = Unique("dep");
        (await _server.PostAsync("/api/2.0/strata/deployments", new { name = deployment, route = new[] { new { model_name = model, version = v1, weight = 100 } } })).Ok();
        (await _server.PatchAsync($"/api/2.0/strata/deployments/{deployment}", new { revision = 1, route = new[] { new { model_name = model, version = v1, weight = 100 } }, description = "d" })).Ok();
        (await _server.PostAsync($"/api/2.0/strata/deployments/{deployment}/rollback", new { to_revision = 1 })).Ok();
        (await _server.DeleteAsync($"/api/2.0/strata/deployments/{deployment}")).Ok();

        // Monitoring's and jobs' rows, as those capabilities write them.
        var database = (Strata.Storage.Database.IDatabase)_server.Services.GetService(typeof(Strata.Storage.Database.IDatabase))!;
        await database.WriteAsync((c, tx, ct) => Dapper.SqlMapper.ExecuteAsync(c, new Dapper.CommandDefinition(
            """
            INSERT INTO registry_events (event_time, user_id, event_type, model_name, version, before_json, after_json) VALUES
            (1, NULL, 'deployment.error_rate.exceeded', @model, 1, NULL, '{"deployment":"d","error_rate":0.2,"threshold":0.1}'),
            (2, NULL, 'deployment.drift_share.recovered', @model, 1, NULL, '{"deployment":"d","drift_share":0.1,"threshold":0.5}'),
            (3, NULL, 'job.finished', @model, NULL, NULL, '{"job_id":"j1","status":"SUCCEEDED","exit_code":0}')
            """, new { model }, tx, cancellationToken: ct)), default);

        var seen = await _receiver.WaitAsync(r => r.Count >= 7);
        Assert.All(seen, r => Assert.True(r.SignatureValid));
        // The version predates the webhook: not delivered.
        Assert.Equal(
            ["deployment.created", "deployment.updated", "deployment.updated", "deployment.deleted", "alert.fired", "alert.resolved", "job.finished"],
            seen.Select(r => r.Event));
        using var created = JsonDocument.Parse(seen[0].Body);
        var data = created.RootElement.GetProperty("data");
        Assert.Equal(deployment, data.GetProperty("name").GetString());
        Assert.Equal(1, data.GetProperty("revision").GetInt64());
        Assert.Equal(model, data.GetProperty("route")[0].GetProperty("model_name").GetString());
        using var rollback = JsonDocument.Parse(seen[2].Body);
        Assert.Equal(1, rollback.RootElement.GetProperty("data").GetProperty("rolled_back_from").GetInt64());
        using var fired = JsonDocument.Parse(seen[4].Body);
        Assert.Equal("error_rate", fired.RootElement.GetProperty("data").GetProperty("alert").GetString());
        Assert.Equal(0.2, fired.RootElement.GetProperty("data").GetProperty("error_rate").GetDouble());
        using var job = JsonDocument.Parse(seen[6].Body);
        Assert.Equal("j1", job.RootElement.GetProperty("data").GetProperty("job_id").GetString());

        // test_webhook sends an example of a Strata event too.
        var test = (await _server.PostAsync($"/api/2.0/strata/webhooks/{id}/test", new { @event = new { entity = "ALERT", action = "FIRED" } })).Ok().GetProperty("result");
        Assert.True(test.GetProperty("success").GetBoolean());
        (await _server.PostAsync("/api/2.0/strata/webhooks", new { name = "bad", url = _receiver.Url, events = new[] { new { entity = "JOB", action = "CREATED" } } }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Policies_are_validated_and_managed()
    {
        var model = Unique("crud");
        await _server.CreateModelAsync(model);
        (await _server.PostAsync(PoliciesPrefix, new { name = "x", model_name = "no-such-model", gate = Gate() })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        var noGate = await _server.PostAsync(PoliciesPrefix, new { name = "x", model_name = model });
        noGate.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains("'gate'", noGate.Text);
        var badDirection = await _server.PostAsync(PoliciesPrefix, new { name = "x", model_name = model, gate = new { metric = "m", direction = "up" } });
        Assert.Contains("gate.direction", badDirection.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE").Text);
        var badCanary = await _server.PostAsync(PoliciesPrefix, new { name = "x", model_name = model, gate = Gate(), actions = new { canary = new { deployment = "nope", percent = 10, min_requests = 5 } } });
        Assert.Contains("actions.canary.deployment", badCanary.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE").Text);
        var badPercent = await _server.PostAsync(PoliciesPrefix, new { name = "x", model_name = model, gate = Gate(), actions = new { canary = new { deployment = "d", percent = 100, min_requests = 5 } } });
        Assert.Contains("actions.canary.percent", badPercent.IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE").Text);
        (await _server.PostAsync(PoliciesPrefix, new { name = "x", model_name = model, gate = Gate(), actions = new { set_alias = "champion" } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var id = await _server.CreatePolicyAsync(new { name = "crud", model_name = model, gate = Gate(), description = "first" });
        var taken = await _server.PostAsync(PoliciesPrefix, new { name = "crud", model_name = model, gate = Gate() });
        Assert.Contains("'crud'", taken.IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS").Text);
        var got = (await _server.GetAsync($"{PoliciesPrefix}/{id}")).Ok().GetProperty("policy");
        Assert.Equal("val_rmse", got.GetProperty("gate").GetProperty("metric").GetString());
        Assert.True(got.GetProperty("enabled").GetBoolean());
        var updated = (await _server.PatchAsync($"{PoliciesPrefix}/{id}", new { enabled = false, description = "second" })).Ok().GetProperty("policy");
        Assert.Equal(("second", false, "crud"), (updated.GetProperty("description").GetString(), updated.GetProperty("enabled").GetBoolean(), updated.GetProperty("name").GetString()));
        (await _server.PatchAsync($"{PoliciesPrefix}/{id}", new { model_name = "other" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        Assert.Contains(id, (await _server.GetAsync($"{PoliciesPrefix}?model_name={model}")).Ok().List("policies").Select(p => p.GetProperty("policy_id").GetString()));

        // A disabled policy does not judge new versions.
        await _server.VersionAsync(model, "val_rmse", 0.5);
        await Task.Delay(300);
        Assert.Empty((await _server.GetAsync($"{PoliciesPrefix}/{id}/decisions")).Ok().List("decisions"));

        Assert.Equal("{}", (await _server.DeleteAsync($"{PoliciesPrefix}/{id}")).Ok().GetRawText());
        (await _server.GetAsync($"{PoliciesPrefix}/{id}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _server.GetAsync($"{PoliciesPrefix}/{id}/decisions")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await _server.PostAsync($"{PoliciesPrefix}/{id}/evaluate", new { })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Decisions_survive_a_restart_and_are_made_once()
    {
        var directory = Directory.CreateTempSubdirectory("strata-policy-restart-").FullName;
        try
        {
            void SameDatabase(Strata.Server.Hosting.StrataServerOptions o)
            {
                Fast(o);
                o.BackendStoreUri = "sqlite:///" + Path.Combine(directory, "strata.db");
                o.ArtifactsDestination = Path.Combine(directory, "artifacts");
            }

            var model = Unique("restart");
            string policy;
            long version;
            await using (var first = await StrataTestServer.StartAsync(o =>
            {
                SameDatabase(o);
                o.Policies.PollInterval = TimeSpan.FromHours(1); // its first round runs before anything exists
            }))
            {
                await first.CreateModelAsync(model);
                policy = await first.CreatePolicyAsync(new { name = "restart", model_name = model, gate = Gate(), actions = new { promote = true } });
                version = await first.VersionAsync(model, "val_rmse", 0.5);
                Assert.Empty((await first.GetAsync($"{PoliciesPrefix}/{policy}/decisions")).Ok().List("decisions"));
            }

            await using var second = await StrataTestServer.StartAsync(SameDatabase);
            await second.WaitForStatusAsync(policy, version, "PROMOTED");
            await Task.Delay(300); // more rounds: nothing is judged twice
            Assert.Single((await second.GetAsync($"{PoliciesPrefix}/{policy}/decisions")).Ok().List("decisions"));
            Assert.Equal(version, await second.AliasAsync(model, "champion"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private async Task<List<(string, double)>> RouteAsync(string deployment)
    {
        var revision = (await _server.GetAsync($"/api/2.0/strata/deployments/{deployment}")).Ok().GetProperty("deployment").GetProperty("revision");
        return revision.GetProperty("route").EnumerateArray().Select(t =>
        {
            var name = t.GetProperty("model_name").GetString();
            var target = t.TryGetProperty("alias", out var alias) ? $"{name}@{alias.GetString()}" : $"{name}/{t.GetProperty("version").GetRawText().Trim('"')}";
            return (target, Math.Round(t.GetProperty("weight").GetDouble(), 6));
        }).ToList();
    }

    /// <summary>What a serving replica would flush: this replica's running totals for the current minute.</summary>
    // Rows are a replica's cumulative counts for one minute: feeds given the same atMs replace each other, as the
    // collector's flushes do; without it a feed lands in the current minute, which may differ between two feeds.
    private async Task FeedAsync(string deployment, string model, long version, long requests, long errors, double latencyMs, string replica = "r2", long? atMs = null)
    {
        var store = (IServiceMetricsStore)_server.Services.GetService(typeof(IServiceMetricsStore))!;
        var sketch = new LatencySketch();
        sketch.Add((long)(latencyMs * 1000), requests);
        var now = atMs ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await store.UpsertAsync(
            [new ServiceMetricsRow(deployment, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture), false, MetricsResolution.Minute,
                ServiceMetricsMerge.BucketStart(now, MetricsResolution.Minute), replica, requests, errors, (long)(latencyMs * 1000) * requests, 0, 0, sketch)],
            default);
    }
}
