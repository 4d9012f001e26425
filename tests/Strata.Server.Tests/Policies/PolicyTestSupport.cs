using System.Text.Json;
using Strata.Server.Hosting;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Policies;

/// <summary>Setup shortcuts for policy tests: models, versions whose run logged a metric and a data set, waiting for decisions.</summary>
internal static class PolicyTestSupport
{
    public const string Api = "/api/2.0/mlflow/";
    public const string PoliciesPrefix = "/api/2.0/strata/policies";

    public static void Fast(StrataServerOptions o)
    {
        o.Policies.PollInterval = TimeSpan.FromMilliseconds(50);
        o.Webhooks.PollInterval = TimeSpan.FromMilliseconds(25);
        o.Webhooks.RetryBaseDelay = TimeSpan.FromMilliseconds(40);
    }

    public static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    public static async Task CreateModelAsync(this StrataTestServer server, string name) =>
        (await server.PostAsync(Api + "registered-models/create", new { name })).Ok();

    /// <summary>Registers a version whose source run logged <paramref name="metric"/> (none when null) and evaluated on <paramref name="digest"/>.</summary>
    public static async Task<long> VersionAsync(this StrataTestServer server, string model, string key, double? metric, string digest = "eval-digest-1")
    {
        var experiment = await server.CreateExperimentAsync();
        var runId = await server.CreateRunIdAsync(experiment);
        if (metric is { } value)
        {
            (await server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key, value, timestamp = 1_700_000_000_001L, step = 0 })).Ok();
        }

        var dataset = new
        {
            tags = new[] { new { key = "mlflow.data.context", value = "evaluation" } },
            dataset = new { name = "eval", digest, source_type = "local", source = "{}" },
        };
        (await server.PostAsync(Api + "runs/log-inputs", new { run_id = runId, datasets = new[] { dataset } })).Ok();
        var version = (await server.PostAsync(Api + "model-versions/create", new { name = model, source = $"runs:/{runId}/model", run_id = runId })).Ok();
        return long.Parse(version.GetProperty("model_version").GetProperty("version").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static async Task<string> CreatePolicyAsync(this StrataTestServer server, object body) =>
        (await server.PostAsync(PoliciesPrefix, body)).Ok().GetProperty("policy").GetProperty("policy_id").GetString()!;

    /// <summary>Polls the policy's decisions until <paramref name="done"/> holds (fails after 20 s); newest first.</summary>
    public static async Task<List<JsonElement>> WaitForDecisionsAsync(this StrataTestServer server, string policyId, Func<List<JsonElement>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var decisions = (await server.GetAsync($"{PoliciesPrefix}/{policyId}/decisions")).Ok().List("decisions");
            if (done(decisions))
            {
                return decisions;
            }

            Assert.True(DateTime.UtcNow < deadline, "decisions so far: " + string.Join(" | ", decisions.Select(d => d.GetRawText())));
            await Task.Delay(25);
        }
    }

    /// <summary>The decision about <paramref name="version"/> once it reached <paramref name="status"/>.</summary>
    public static async Task<JsonElement> WaitForStatusAsync(this StrataTestServer server, string policyId, long version, string status)
    {
        var decisions = await server.WaitForDecisionsAsync(policyId, ds => ds.Any(d => Version(d) == version && Status(d) == status));
        return decisions.First(d => Version(d) == version && Status(d) == status);
    }

    public static long Version(JsonElement decision) => long.Parse(decision.GetProperty("version").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public static string Status(JsonElement decision) => decision.GetProperty("status").GetString()!;

    public static string Reasons(JsonElement decision) => string.Join(" ", decision.List("reasons").Select(r => r.GetString()));

    public static async Task<long?> AliasAsync(this StrataTestServer server, string model, string alias)
    {
        var response = await server.GetAsync($"{Api}registered-models/alias?name={Uri.EscapeDataString(model)}&alias={alias}");
        return response.Status == System.Net.HttpStatusCode.OK
            ? long.Parse(response.Json.GetProperty("model_version").GetProperty("version").GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }
}
