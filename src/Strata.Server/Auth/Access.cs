using Microsoft.Extensions.DependencyInjection;
using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>
/// The vocabulary of the authorization table: rule builders (<see cref="Public"/>, <see cref="Experiment"/>, ...) and
/// locators that find the resource in a request (<see cref="ExperimentId"/>, <see cref="Run"/>, ...). A locator
/// returns null when the request does not name the resource; the handler then rejects it for the missing field.
/// </summary>
public static class Access
{
    public static AccessRule Public { get; } = new(AccessKind.Public);

    public static AccessRule Authenticated { get; } = new(AccessKind.Authenticated);

    public static AccessRule Admin { get; } = new(AccessKind.Admin);

    /// <summary>Authorised by the signed grant in the URL alone, as an S3 presigned URL (<see cref="PartUrlGrants"/>).</summary>
    public static AccessRule SignedPartUrl { get; } = new(AccessKind.SignedPartUrl);

    /// <summary>The request's <c>username</c> is the caller.</summary>
    public static AccessRule Self { get; } = new(AccessKind.Self, Locate: One(c => c.FieldAsync("username")));

    public static AccessRule Experiment(Permission needed, Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> locate) =>
        new(AccessKind.Experiment, needed, locate);

    public static AccessRule RegisteredModel(Permission needed, string field = "name") =>
        new(AccessKind.RegisteredModel, needed, One(c => c.FieldAsync(field)));

    public static AccessRule Deployment(Permission needed, string routeValue = "name") =>
        new(AccessKind.Deployment, needed, One(c => ValueTask.FromResult(c.Route(routeValue))));

    /// <summary>Deployment by a body field (create).</summary>
    public static AccessRule DeploymentField(Permission needed, string field) =>
        new(AccessKind.Deployment, needed, One(c => c.FieldAsync(field)));

    public static AccessRule Invoke(string routeValue = "deployment") =>
        new(AccessKind.Serving, Permission.READ, One(c => ValueTask.FromResult(c.Route(routeValue))));

    // ---- where the experiment is named ----

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> ExperimentId(string field = "experiment_id") => One(c => c.FieldAsync(field));

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> ExperimentIds(string field = "experiment_ids") =>
        async c => await c.FieldsAsync(field).ConfigureAwait(false) is { Count: > 0 } ids ? ids : null;

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> ExperimentName(string field = "experiment_name") =>
        One(async c => await c.FieldAsync(field).ConfigureAwait(false) is { } name ? await c.Resolver.ExperimentByNameAsync(name, c.Aborted).ConfigureAwait(false) : null);

    /// <summary>A run's experiment; MLflow 2 clients also send the run id as <c>run_uuid</c>.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> Run(string field = "run_id") =>
        One(async c => (await c.FieldAsync(field).ConfigureAwait(false) ?? await c.FieldAsync("run_uuid").ConfigureAwait(false)) is { } id
            ? await c.Resolver.ExperimentOfRunAsync(id, c.Aborted).ConfigureAwait(false) : null);

    /// <summary>The run id in the query string only (bodies of these routes are files).</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> RunInQuery(string field = "run_id") =>
        One(async c => (c.Query(field) ?? c.Query("run_uuid")) is { } id ? await c.Resolver.ExperimentOfRunAsync(id, c.Aborted).ConfigureAwait(false) : null);

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> Runs(string field = "run_ids") =>
        async c =>
        {
            var ids = await c.FieldsAsync(field).ConfigureAwait(false);
            if (ids.Count == 0)
            {
                return null;
            }

            var experiments = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in ids)
            {
                // An unknown run is left to the handler's own error, like a missing field.
                if (await c.Resolver.ExperimentOfRunAsync(id, c.Aborted).ConfigureAwait(false) is { } e)
                {
                    experiments.Add(e);
                }
            }

            return experiments.ToList();
        };

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> Trace(string field = "trace_id") =>
        One(async c => await c.FieldAsync(field).ConfigureAwait(false) is { } id ? await c.Resolver.ExperimentOfTraceAsync(id, c.Aborted).ConfigureAwait(false) : null);

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> TraceIds(string field = "trace_ids") =>
        async c =>
        {
            var ids = await c.FieldsAsync(field).ConfigureAwait(false);
            var experiments = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in ids)
            {
                if (await c.Resolver.ExperimentOfTraceAsync(id, c.Aborted).ConfigureAwait(false) is { } e)
                {
                    experiments.Add(e);
                }
            }

            return ids.Count == 0 ? null : experiments.ToList();
        };

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> LoggedModel(string field = "model_id") =>
        One(async c => await c.FieldAsync(field).ConfigureAwait(false) is { } id ? await c.Resolver.ExperimentOfLoggedModelAsync(id, c.Aborted).ConfigureAwait(false) : null);

    /// <summary>Proxied artifacts live under <c>{experiment_id}/...</c>: the first segment of the path names the experiment.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> ArtifactPath(string routeValue = "path", string queryField = "path") =>
        c =>
        {
            var path = c.Route(routeValue) ?? c.Query(queryField) ?? "";
            var first = path.TrimStart('/').Split('/', 2)[0];
            // No or a non-numeric first segment belongs to no experiment: only admins may touch it.
            IReadOnlyList<string> result = first.Length > 0 && first.All(char.IsAsciiDigit) ? [first] : [Nothing];
            return ValueTask.FromResult<IReadOnlyList<string>?>(result);
        };

    /// <summary>
    /// A resource no grant can name: a locator returns it for requests that would act on everything (an events list
    /// without a model name) or on something outside every experiment, so that only admins pass.
    /// </summary>
    public const string Nothing = "\0";

    /// <summary>The field, or <see cref="Nothing"/> when the request leaves it out (the handler would then act on all).</summary>
    public static AccessRule RegisteredModelOrAdmin(Permission needed, string field = "name") =>
        new(AccessKind.RegisteredModel, needed, async c => [await c.FieldAsync(field).ConfigureAwait(false) ?? Nothing]);

    /// <summary>Tokens and the user pages: the named user (the caller when none is named) must be the caller.</summary>
    public static AccessRule SelfOrCaller(string field = "username") =>
        new(AccessKind.Self, Locate: async c => [await c.FieldAsync(field).ConfigureAwait(false) ?? c.User.Username]);

    /// <summary>A token's owner must be the caller.</summary>
    public static AccessRule TokenOwner(string routeValue = "token_id") =>
        new(AccessKind.Self, Locate: async c => c.Route(routeValue) is { } id
            && await c.Http.RequestServices.GetRequiredService<Strata.Core.Auth.IAuthStore>().GetTokenAsync(id, c.Aborted).ConfigureAwait(false) is { } token
                ? [token.Username] : null);

    /// <summary>MLflow 3's start-trace body: <c>trace.trace_info.trace_location.mlflow_experiment.experiment_id</c>.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> TraceLocation() =>
        One(async c =>
        {
            var r = await c.RequestAsync().ConfigureAwait(false);
            return r.TryGetElement("trace", out var trace) && Dig(trace, "trace_info", "trace_location", "mlflow_experiment", "experiment_id") is { } id ? id : null;
        });

    /// <summary>MLflow 3's trace search: <c>locations[].mlflow_experiment.experiment_id</c>, else <c>experiment_ids</c>.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> TraceLocations() =>
        async c =>
        {
            var r = await c.RequestAsync().ConfigureAwait(false);
            var ids = new List<string>();
            if (r.TryGetElement("locations", out var locations) && locations.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                foreach (var location in locations.EnumerateArray())
                {
                    // A location this rule cannot read is counted as unreadable rather than skipped.
                    ids.Add(Dig(location, "mlflow_experiment", "experiment_id") ?? Nothing);
                }
            }

            if (ids.Count == 0)
            {
                ids.AddRange(r.Strings("experiment_ids"));
            }

            return ids.Count == 0 ? null : ids;
        };

    // ---- where a UI page names its resource (route values and query only: a page's POST body is a form) ----

    /// <summary>A runs page: the experiment of its route and those selected with <c>?e=</c>.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> PageExperiments() =>
        c =>
        {
            var ids = new List<string>();
            if (c.Route("ExperimentId") is { Length: > 0 } id)
            {
                ids.Add(id);
            }

            ids.AddRange(c.Http.Request.Query["e"].Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e!));
            return ValueTask.FromResult<IReadOnlyList<string>?>(ids.Count == 0 ? null : ids.Distinct(StringComparer.Ordinal).ToList());
        };

    /// <summary>A run's page; an unknown run is left to the page's own "not found".</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> PageRun() =>
        One(async c => c.Route("RunId") is { } id ? await c.Resolver.ExperimentOfRunAsync(id, c.Aborted).ConfigureAwait(false) : null);

    /// <summary>The compare page: the experiments of the runs in <c>?runs=</c>.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> PageRuns() =>
        async c =>
        {
            var experiments = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in c.Http.Request.Query["runs"].Where(r => !string.IsNullOrWhiteSpace(r)).Distinct(StringComparer.Ordinal).Take(1000))
            {
                if (await c.Resolver.ExperimentOfRunAsync(id!, c.Aborted).ConfigureAwait(false) is { } e)
                {
                    experiments.Add(e);
                }
            }

            return experiments.Count == 0 ? null : experiments.ToList();
        };

    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> PageTrace() =>
        One(async c => c.Route("TraceId") is { } id ? await c.Resolver.ExperimentOfTraceAsync(id, c.Aborted).ConfigureAwait(false) : null);

    /// <summary>A registered model's pages, named by the route only.</summary>
    public static AccessRule RegisteredModelPage(Permission needed) =>
        new(AccessKind.RegisteredModel, needed, One(c => ValueTask.FromResult(c.Route("Name"))));

    /// <summary>OTLP export names its experiment in a header.</summary>
    public static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> ExperimentHeader(string header) =>
        c => ValueTask.FromResult<IReadOnlyList<string>?>(c.Http.Request.Headers[header].ToString() is { Length: > 0 } id ? [id] : null);

    private static string? Dig(System.Text.Json.JsonElement element, params string[] path)
    {
        foreach (var name in path)
        {
            if (element.ValueKind != System.Text.Json.JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                return null;
            }
        }

        return element.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => element.GetString(),
            System.Text.Json.JsonValueKind.Number => element.GetRawText(),
            _ => null,
        };
    }

    private static Func<AccessCheck, ValueTask<IReadOnlyList<string>?>> One(Func<AccessCheck, ValueTask<string?>> locate) =>
        async c => await locate(c).ConfigureAwait(false) is { } id ? [id] : null;
}
