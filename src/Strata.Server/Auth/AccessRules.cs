using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Strata.Core.Auth;
using Strata.Server.Ui;
using static Strata.Core.Auth.Permission;
using static Strata.Server.Auth.Access;

namespace Strata.Server.Auth;

/// <summary>
/// THE authorization table: every route the server maps, by method and route pattern, with the rule a caller must
/// satisfy. Routes served under both <c>/api/</c> and <c>/ajax-api/</c> are listed once under <c>/api/</c>. A route
/// missing here is admin-only at run time and fails <c>AccessRulesCoverageTests</c>, so a new endpoint cannot ship
/// open: adding one means adding its line here. Levels follow MLflow's basic-auth app: READ reads, EDIT writes, MANAGE
/// deletes and grants; creators get MANAGE on what they create.
/// </summary>
public static class AccessRules
{
    private const string Mlflow = "/api/2.0/mlflow";
    private const string Mlflow3 = "/api/3.0/mlflow";
    private const string Artifacts = "/api/2.0/mlflow-artifacts";
    private const string Strata = "/api/2.0/strata";

    public static IReadOnlyDictionary<string, AccessRule> Table { get; } = Build(new()
    {
        // ---- system ----
        ["GET /health"] = Public,
        // The UI's OpenID Connect sign-in start (mapped only with --oidc-authority): it only redirects to the provider.
        ["GET /signin/oidc"] = Public,
        ["GET /version"] = Public,

        // ---- experiments ----
        [$"POST {Mlflow}/experiments/create"] = Authenticated.Then(AccessGrants.CreatorManagesExperiment),
        [$"GET {Mlflow}/experiments/get"] = Experiment(READ, ExperimentId()),
        [$"GET {Mlflow}/experiments/get-by-name"] = Experiment(READ, ExperimentName()),
        [$"GET POST {Mlflow}/experiments/search"] = Authenticated,
        [$"POST {Mlflow}/experiments/delete"] = Experiment(MANAGE, ExperimentId()),
        [$"POST {Mlflow}/experiments/restore"] = Experiment(MANAGE, ExperimentId()),
        [$"POST {Mlflow}/experiments/update"] = Experiment(EDIT, ExperimentId()),
        [$"POST {Mlflow}/experiments/set-experiment-tag"] = Experiment(EDIT, ExperimentId()),
        [$"POST {Mlflow}/experiments/delete-experiment-tag"] = Experiment(EDIT, ExperimentId()),
        [$"POST {Mlflow}/experiments/search-datasets"] = Experiment(READ, ExperimentIds()),

        // ---- runs and metrics ----
        [$"POST {Mlflow}/runs/create"] = Experiment(EDIT, ExperimentId()),
        [$"POST {Mlflow}/runs/update"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/delete"] = Experiment(MANAGE, Run()),
        [$"POST {Mlflow}/runs/restore"] = Experiment(MANAGE, Run()),
        [$"GET {Mlflow}/runs/get"] = Experiment(READ, Run()),
        [$"GET POST {Mlflow}/runs/search"] = Experiment(READ, ExperimentIds()),
        [$"POST {Mlflow}/runs/log-metric"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/log-parameter"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/set-tag"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/delete-tag"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/log-batch"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/log-model"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/log-inputs"] = Experiment(EDIT, Run()),
        [$"POST {Mlflow}/runs/outputs"] = Experiment(EDIT, Run()),
        [$"GET {Mlflow}/metrics/get-history"] = Experiment(READ, Run()),
        [$"GET {Mlflow}/metrics/get-history-bulk-interval"] = Experiment(READ, Runs()),
        [$"GET {Mlflow}/metrics/get-history-bulk"] = Experiment(READ, Runs("run_id")),

        // ---- logged models ----
        [$"POST {Mlflow}/logged-models"] = Experiment(EDIT, ExperimentId()),
        [$"POST {Mlflow}/logged-models/search"] = Experiment(READ, ExperimentIds()),
        [$"GET {Mlflow}/logged-models/{{model_id}}"] = Experiment(READ, LoggedModel()),
        [$"PATCH {Mlflow}/logged-models/{{model_id}}"] = Experiment(EDIT, LoggedModel()),
        [$"DELETE {Mlflow}/logged-models/{{model_id}}"] = Experiment(MANAGE, LoggedModel()),
        [$"PATCH {Mlflow}/logged-models/{{model_id}}/tags"] = Experiment(EDIT, LoggedModel()),
        [$"DELETE {Mlflow}/logged-models/{{model_id}}/tags/{{**tag_key}}"] = Experiment(MANAGE, LoggedModel()),
        [$"POST {Mlflow}/logged-models/{{model_id}}/params"] = Experiment(EDIT, LoggedModel()),

        // ---- artifacts: proxied (by the experiment in the path) and by run / logged model ----
        [$"PUT {Artifacts}/artifacts/{{**path}}"] = Experiment(EDIT, ArtifactPath()),
        [$"GET HEAD {Artifacts}/artifacts/{{**path}}"] = Experiment(READ, ArtifactPath()),
        [$"GET {Artifacts}/artifacts"] = Experiment(READ, ArtifactPath()),
        [$"DELETE {Artifacts}/artifacts/{{**path}}"] = Experiment(MANAGE, ArtifactPath()),
        [$"POST {Artifacts}/mpu/create/{{**path}}"] = Experiment(EDIT, ArtifactPath()),
        [$"POST {Artifacts}/mpu/complete/{{**path}}"] = Experiment(EDIT, ArtifactPath()),
        [$"POST {Artifacts}/mpu/abort/{{**path}}"] = Experiment(EDIT, ArtifactPath()),
        // Part URLs come from mpu/create (EDIT) and carry a signed grant for one part; clients PUT them without credentials.
        [$"PUT {Artifacts}/mpu/part/{{**path}}"] = SignedPartUrl,
        [$"GET {Mlflow}/artifacts/list"] = Experiment(READ, Run()),
        [$"GET {Mlflow}/logged-models/{{model_id}}/artifacts/directories"] = Experiment(READ, LoggedModel()),
        ["GET HEAD /get-artifact"] = Experiment(READ, RunInQuery()),
        [$"GET HEAD {Mlflow}/logged-models/{{model_id}}/artifacts/files"] = Experiment(READ, LoggedModel()),
        [$"POST {Mlflow}/upload-artifact"] = Experiment(EDIT, RunInQuery()),
        ["GET HEAD /model-versions/get-artifact"] = RegisteredModel(READ),

        // ---- registered models, versions, aliases (prompts are registered models) ----
        [$"POST {Mlflow}/registered-models/create"] = Authenticated.Then(AccessGrants.CreatorManagesRegisteredModel),
        [$"POST {Mlflow}/registered-models/rename"] = RegisteredModel(EDIT).Then(AccessGrants.GrantsFollowRename),
        [$"PATCH {Mlflow}/registered-models/update"] = RegisteredModel(EDIT),
        [$"DELETE {Mlflow}/registered-models/delete"] = RegisteredModel(MANAGE).Then(AccessGrants.GrantsGoWithRegisteredModel),
        [$"GET {Mlflow}/registered-models/get"] = RegisteredModel(READ),
        [$"GET {Mlflow}/registered-models/search"] = Authenticated,
        [$"GET POST {Mlflow}/registered-models/get-latest-versions"] = RegisteredModel(READ),
        [$"POST {Mlflow}/registered-models/set-tag"] = RegisteredModel(EDIT),
        [$"DELETE {Mlflow}/registered-models/delete-tag"] = RegisteredModel(EDIT),
        [$"POST {Mlflow}/registered-models/alias"] = RegisteredModel(EDIT),
        [$"DELETE {Mlflow}/registered-models/alias"] = RegisteredModel(MANAGE),
        [$"GET {Mlflow}/registered-models/alias"] = RegisteredModel(READ),
        [$"POST {Mlflow}/model-versions/create"] = RegisteredModel(EDIT),
        [$"GET {Mlflow}/model-versions/get"] = RegisteredModel(READ),
        [$"PATCH {Mlflow}/model-versions/update"] = RegisteredModel(EDIT),
        [$"DELETE {Mlflow}/model-versions/delete"] = RegisteredModel(MANAGE),
        [$"POST {Mlflow}/model-versions/transition-stage"] = RegisteredModel(EDIT),
        [$"GET {Mlflow}/model-versions/search"] = Authenticated,
        [$"GET {Mlflow}/model-versions/get-download-uri"] = RegisteredModel(READ),
        [$"POST {Mlflow}/model-versions/set-tag"] = RegisteredModel(EDIT),
        [$"DELETE {Mlflow}/model-versions/delete-tag"] = RegisteredModel(MANAGE),
        [$"GET {Strata}/registry/lineage"] = RegisteredModel(READ),
        [$"GET {Strata}/registry/events"] = RegisteredModelOrAdmin(READ),

        // ---- traces: MLflow 3 (v3 paths) and MLflow 2 (v2 paths), by the trace's experiment ----
        [$"POST {Mlflow3}/traces"] = Experiment(EDIT, TraceLocation()),
        [$"GET {Mlflow3}/traces/batchGet"] = Experiment(READ, TraceIds()),
        [$"POST {Mlflow3}/traces/calculate-filter-correlation"] = Experiment(READ, ExperimentIds()),
        [$"POST {Mlflow3}/traces/search"] = Experiment(READ, TraceLocations()),
        [$"POST {Mlflow3}/traces/delete-traces"] = Experiment(MANAGE, ExperimentId()),
        [$"POST {Mlflow3}/traces/link-to-run"] = Experiment(EDIT, Run()),
        [$"GET {Mlflow3}/traces/{{trace_id}}"] = Experiment(READ, Trace()),
        [$"PATCH {Mlflow3}/traces/{{trace_id}}/tags"] = Experiment(EDIT, Trace()),
        [$"DELETE {Mlflow3}/traces/{{trace_id}}/tags"] = Experiment(EDIT, Trace()),
        [$"POST {Mlflow3}/traces/{{trace_id}}/assessments"] = Experiment(EDIT, Trace()),
        [$"GET {Mlflow3}/traces/{{trace_id}}/assessments/{{assessment_id}}"] = Experiment(READ, Trace()),
        [$"PATCH {Mlflow3}/traces/{{trace_id}}/assessments/{{assessment_id}}"] = Experiment(EDIT, Trace()),
        [$"DELETE {Mlflow3}/traces/{{trace_id}}/assessments/{{assessment_id}}"] = Experiment(EDIT, Trace()),
        [$"POST {Mlflow}/traces"] = Experiment(EDIT, ExperimentId()),
        [$"GET {Mlflow}/traces"] = Experiment(READ, ExperimentIds()),
        [$"POST {Mlflow}/traces/delete-traces"] = Experiment(MANAGE, ExperimentId()),
        [$"POST {Mlflow}/traces/link-to-run"] = Experiment(EDIT, Run()),
        [$"PATCH {Mlflow}/traces/{{trace_id}}"] = Experiment(EDIT, Trace()),
        [$"GET {Mlflow}/traces/{{trace_id}}/info"] = Experiment(READ, Trace()),
        [$"PATCH {Mlflow}/traces/{{trace_id}}/tags"] = Experiment(EDIT, Trace()),
        [$"DELETE {Mlflow}/traces/{{trace_id}}/tags"] = Experiment(EDIT, Trace()),
        [$"GET {Mlflow}/get-trace-artifact"] = Experiment(READ, Trace("request_id")),
        ["POST /v1/traces"] = Experiment(EDIT, ExperimentHeader("x-mlflow-experiment-id")),

        // ---- webhooks: they see every registry event, so admins only ----
        [$"POST {Mlflow}/webhooks"] = Admin,
        [$"GET {Mlflow}/webhooks"] = Admin,
        [$"GET {Mlflow}/webhooks/{{webhook_id}}"] = Admin,
        [$"PATCH {Mlflow}/webhooks/{{webhook_id}}"] = Admin,
        [$"DELETE {Mlflow}/webhooks/{{webhook_id}}"] = Admin,
        [$"POST {Mlflow}/webhooks/{{webhook_id}}/test"] = Admin,
        [$"GET {Strata}/webhooks/{{webhook_id}}/deliveries"] = Admin,
        [$"POST {Strata}/webhooks"] = Admin,
        [$"GET {Strata}/webhooks"] = Admin,
        [$"GET {Strata}/webhooks/{{webhook_id}}"] = Admin,
        [$"PATCH {Strata}/webhooks/{{webhook_id}}"] = Admin,
        [$"DELETE {Strata}/webhooks/{{webhook_id}}"] = Admin,
        [$"POST {Strata}/webhooks/{{webhook_id}}/test"] = Admin,

        // ---- automation: policies move aliases and routes of any model they name, and jobs run commands on the
        // server's host, so both are for admins only ----
        [$"POST {Strata}/policies"] = Admin,
        [$"GET {Strata}/policies"] = Admin,
        [$"GET {Strata}/policies/{{policy_id}}"] = Admin,
        [$"PATCH {Strata}/policies/{{policy_id}}"] = Admin,
        [$"DELETE {Strata}/policies/{{policy_id}}"] = Admin,
        [$"GET {Strata}/policies/{{policy_id}}/decisions"] = Admin,
        [$"GET {Strata}/policies/{{policy_id}}/decisions/{{decision_id}}"] = Admin,
        [$"POST {Strata}/policies/{{policy_id}}/decisions/{{decision_id}}/approve"] = Admin,
        [$"POST {Strata}/policies/{{policy_id}}/decisions/{{decision_id}}/reject"] = Admin,
        [$"POST {Strata}/policies/{{policy_id}}/evaluate"] = Admin,
        [$"POST {Strata}/jobs"] = Admin,
        [$"GET {Strata}/jobs"] = Admin,
        [$"GET {Strata}/jobs/executions/{{execution_id}}"] = Admin,
        [$"POST {Strata}/jobs/executions/{{execution_id}}/cancel"] = Admin,
        [$"GET {Strata}/jobs/executions/{{execution_id}}/logs"] = Admin,
        [$"GET {Strata}/jobs/{{name}}"] = Admin,
        [$"PATCH {Strata}/jobs/{{name}}"] = Admin,
        [$"DELETE {Strata}/jobs/{{name}}"] = Admin,
        [$"POST {Strata}/jobs/{{name}}/run"] = Admin,
        [$"GET {Strata}/jobs/{{name}}/executions"] = Admin,

        // ---- deployments and their monitoring ----
        [$"POST {Strata}/deployments"] = Authenticated.Then(AccessGrants.CreatorManagesDeployment),
        [$"GET {Strata}/deployments"] = Authenticated, // lists only what the caller may read (ReadScopes)
        [$"GET {Strata}/deployments/{{name}}"] = Deployment(READ),
        [$"PATCH {Strata}/deployments/{{name}}"] = Deployment(EDIT),
        [$"DELETE {Strata}/deployments/{{name}}"] = Deployment(MANAGE).Then(AccessGrants.GrantsGoWithDeployment),
        [$"GET {Strata}/deployments/{{name}}/revisions"] = Deployment(READ),
        [$"GET {Strata}/deployments/{{name}}/revisions/{{revision}}"] = Deployment(READ),
        [$"POST {Strata}/deployments/{{name}}/rollback"] = Deployment(EDIT),
        [$"GET {Strata}/deployments/{{name}}/metrics"] = Deployment(READ),
        [$"GET {Strata}/deployments/{{name}}/drift"] = Deployment(READ),
        [$"POST {Strata}/deployments/{{name}}/drift/compute"] = Deployment(EDIT),
        [$"GET {Strata}/deployments/{{name}}/alerts"] = Deployment(READ),
        [$"GET {Strata}/deployments/{{name}}/alerts/events"] = Deployment(READ),
        [$"PUT POST {Strata}/deployments/{{name}}/alerts"] = Deployment(EDIT),
        [$"POST {Strata}/monitoring/profiles"] = RegisteredModel(EDIT),
        [$"POST {Strata}/monitoring/profiles/upload"] = RegisteredModel(EDIT),
        [$"GET {Strata}/monitoring/profiles"] = RegisteredModel(READ),
        [$"GET {Strata}/monitoring/drift"] = RegisteredModelOrAdmin(READ),
        [$"POST {Strata}/monitoring/drift/compute"] = RegisteredModel(EDIT),
        [$"GET {Strata}/predictions"] = Admin,

        // ---- serving: a deployment's endpoints (READ on it, or a token limited to it) ----
        ["POST /deployments/{deployment}/invocations"] = Invoke(),
        ["GET /deployments/{deployment}/ping"] = Invoke(),
        ["GET /deployments/{deployment}/health"] = Invoke(),
        ["GET /deployments/{deployment}/v2/health/live"] = Invoke(),
        ["GET /deployments/{deployment}/v2/health/ready"] = Invoke(),
        ["GET /deployments/{deployment}/v2/models/{model}"] = Invoke(),
        ["GET /deployments/{deployment}/v2/models/{model}/ready"] = Invoke(),
        ["POST /deployments/{deployment}/v2/models/{model}/infer"] = Invoke(),
        ["GET /deployments/{deployment}/v2/models/{model}/versions/{version}"] = Invoke(),
        ["GET /deployments/{deployment}/v2/models/{model}/versions/{version}/ready"] = Invoke(),
        ["POST /deployments/{deployment}/v2/models/{model}/versions/{version}/infer"] = Invoke(),
        // --serve-model models (not deployments): any signed-in user; liveness stays open for probes.
        ["GET /v2/health/live"] = Public,
        ["GET /v2/health/ready"] = Public,
        ["GET /v2"] = Authenticated,
        ["GET /v2/models/{name}"] = Authenticated,
        ["GET /v2/models/{name}/ready"] = Authenticated,
        ["POST /v2/models/{name}/infer"] = Authenticated,
        ["GET /v2/models/{name}/versions/{version}"] = Authenticated,
        ["GET /v2/models/{name}/versions/{version}/ready"] = Authenticated,
        ["POST /v2/models/{name}/versions/{version}/infer"] = Authenticated,
        ["GET /metrics"] = Authenticated,

        // ---- users, grants and tokens (MLflow's basic-auth API, then Strata's) ----
        [$"POST {Mlflow}/users/create"] = Admin,
        [$"GET {Mlflow}/users/get"] = Self,
        [$"PATCH {Mlflow}/users/update-password"] = Self,
        [$"PATCH {Mlflow}/users/update-admin"] = Admin,
        [$"DELETE {Mlflow}/users/delete"] = Admin,
        [$"POST {Mlflow}/experiments/permissions/create"] = Experiment(MANAGE, ExperimentId()),
        [$"GET {Mlflow}/experiments/permissions/get"] = Experiment(MANAGE, ExperimentId()),
        [$"PATCH {Mlflow}/experiments/permissions/update"] = Experiment(MANAGE, ExperimentId()),
        [$"DELETE {Mlflow}/experiments/permissions/delete"] = Experiment(MANAGE, ExperimentId()),
        [$"POST {Mlflow}/registered-models/permissions/create"] = RegisteredModel(MANAGE),
        [$"GET {Mlflow}/registered-models/permissions/get"] = RegisteredModel(MANAGE),
        [$"PATCH {Mlflow}/registered-models/permissions/update"] = RegisteredModel(MANAGE),
        [$"DELETE {Mlflow}/registered-models/permissions/delete"] = RegisteredModel(MANAGE),
        [$"POST {Strata}/deployments/permissions/create"] = DeploymentField(MANAGE, "deployment_name"),
        [$"GET {Strata}/deployments/permissions/get"] = DeploymentField(MANAGE, "deployment_name"),
        [$"PATCH {Strata}/deployments/permissions/update"] = DeploymentField(MANAGE, "deployment_name"),
        [$"DELETE {Strata}/deployments/permissions/delete"] = DeploymentField(MANAGE, "deployment_name"),
        [$"GET {Strata}/users"] = Admin,
        [$"GET {Strata}/users/current"] = Authenticated,
        [$"POST {Strata}/tokens"] = SelfOrCaller(),
        [$"GET {Strata}/tokens"] = SelfOrCaller(),
        [$"DELETE {Strata}/tokens/{{token_id}}"] = TokenOwner(),
        [$"GET {UiMetricSeriesApi.Route}"] = Experiment(READ, Runs("run_id")), // the UI's chart data: READ on every run's experiment, as its pages
    });

    /// <summary>
    /// Endpoints that are not REST routes of their own: the UI's pages (unless <see cref="UiPages"/> lists them) and its
    /// Blazor hub: any signed-in user. What a page then shows is filtered by the same grants (<see cref="ReadScopes"/>).
    /// </summary>
    public static AccessRule UiRule { get; } = Authenticated;

    /// <summary>
    /// The UI's pages that name one resource (or the sign-in pages, which are open): the page needs READ on it, as the
    /// API's read of it does. Keyed by the page's route template. The OpenID Connect callback <c>/signin-oidc</c> is no
    /// endpoint: the OpenID Connect handler answers it before routing (see <see cref="UiSessions"/>).
    /// </summary>
    public static IReadOnlyDictionary<string, AccessRule> UiPages { get; } = new Dictionary<string, AccessRule>(StringComparer.OrdinalIgnoreCase)
    {
        ["/signin"] = Public,
        // "/signout" is not listed: it needs the session, whose user the form's antiforgery token is bound to.
        ["/runs"] = Experiment(READ, PageExperiments()),
        ["/experiments/{ExperimentId}"] = Experiment(READ, PageExperiments()),
        ["/experiments/{ExperimentId}/traces"] = Experiment(READ, PageExperiments()),
        ["/runs/{RunId}"] = Experiment(READ, PageRun()),
        ["/compare"] = Experiment(READ, PageRuns()),
        ["/traces/{TraceId}"] = Experiment(READ, PageTrace()),
        ["/models/{Name}"] = RegisteredModelPage(READ),
        ["/models/{Name}/versions/{Version}"] = RegisteredModelPage(READ),
        ["/deployments/{Name}"] = Deployment(READ, "Name"),
    };

    /// <summary>The UI: its pages, the Blazor hub and framework scripts (a challenge redirects to sign-in there).</summary>
    public static bool IsUi(Endpoint endpoint) =>
        IsUiPage(endpoint)
        || (endpoint is RouteEndpoint route && Normalize(route.RoutePattern.RawText ?? "") is var p
            && (p.StartsWith("/_blazor", StringComparison.Ordinal) || p.StartsWith("/_framework/", StringComparison.Ordinal)));

    /// <summary>A page of the UI (a Razor component endpoint), where a browser navigates.</summary>
    public static bool IsUiPage(Endpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().FullName is "Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata"
            or "Microsoft.AspNetCore.Components.Endpoints.RootComponentMetadata");

    /// <summary>The UI's stylesheets and scripts (build output and packages' assets): they hold no data.</summary>
    public static AccessRule StaticAssetRule { get; } = Public;

    /// <summary>Models served with <c>--serve-model</c> under <c>/serving/{name}</c> (one literal route per model).</summary>
    public static AccessRule ServedModelRule { get; } = Authenticated;

    /// <summary>The rule of an endpoint, or null when the table has none (then only admins pass, and the coverage test fails).</summary>
    public static AccessRule? Find(Endpoint endpoint)
    {
        if (endpoint is not RouteEndpoint route)
        {
            return null;
        }

        var pattern = Normalize(route.RoutePattern.RawText ?? "");
        if (pattern.StartsWith("/serving/", StringComparison.Ordinal))
        {
            return ServedModelRule;
        }

        if (IsStaticAsset(endpoint))
        {
            return StaticAssetRule;
        }

        if (IsUiPage(endpoint))
        {
            return UiPages.TryGetValue(pattern, out var page) ? page : UiRule;
        }

        if (pattern.StartsWith("/_blazor", StringComparison.Ordinal) || pattern.StartsWith("/_framework/", StringComparison.Ordinal))
        {
            return UiRule;
        }

        var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods;
        if (methods is null || methods.Count == 0)
        {
            return null;
        }

        // Every method of the endpoint needs the same rule; a route with a method the table lacks has none.
        AccessRule? rule = null;
        foreach (var method in methods)
        {
            if (!Table.TryGetValue(method + " " + pattern, out var r) || (rule is not null && rule != r))
            {
                return null;
            }

            rule = r;
        }

        return rule;
    }

    /// <summary>The route pattern as the table writes it: <c>/ajax-api/</c> as <c>/api/</c>, no trailing slash.</summary>
    public static string Normalize(string rawPattern)
    {
        var p = rawPattern.StartsWith('/') ? rawPattern : "/" + rawPattern;
        if (p.StartsWith("/ajax-api/", StringComparison.Ordinal))
        {
            p = "/api/" + p["/ajax-api/".Length..];
        }

        return p.Length > 1 ? p.TrimEnd('/') : p;
    }

    private static bool IsStaticAsset(Endpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().FullName is "Microsoft.AspNetCore.StaticAssets.StaticAssetDescriptor");


    private static Dictionary<string, AccessRule> Build(Dictionary<string, AccessRule> lines)
    {
        // "GET POST /path" stands for one line per method.
        var table = new Dictionary<string, AccessRule>(StringComparer.Ordinal);
        foreach (var (key, rule) in lines)
        {
            var parts = key.Split(' ');
            var path = Normalize(parts[^1]);
            foreach (var method in parts[..^1])
            {
                table.Add(method + " " + path, rule);
            }
        }

        return table;
    }
}
