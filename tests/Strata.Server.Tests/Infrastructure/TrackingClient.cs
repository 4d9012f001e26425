using System.Text.Json;

namespace Strata.Server.Tests.Infrastructure;

/// <summary>Shortcuts for the tracking calls most tests need as setup.</summary>
public static class TrackingClient
{
    public const string Api = "/api/2.0/mlflow/";

    public static async Task<string> CreateExperimentAsync(this StrataTestServer server, string? name = null)
    {
        var response = await server.PostAsync(Api + "experiments/create", new { name = name ?? "exp-" + Guid.NewGuid().ToString("N") });
        return response.Ok().GetProperty("experiment_id").GetString()!;
    }

    public static async Task<JsonElement> CreateRunAsync(this StrataTestServer server, string experimentId, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["experiment_id"] = experimentId, ["start_time"] = 1_700_000_000_000L };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[property.Name] = property.Value;
            }
        }

        var response = await server.PostAsync(Api + "runs/create", body);
        return response.Ok().GetProperty("run");
    }

    public static async Task<string> CreateRunIdAsync(this StrataTestServer server, string experimentId) =>
        (await server.CreateRunAsync(experimentId)).GetProperty("info").GetProperty("run_id").GetString()!;

    public static async Task<JsonElement> GetRunAsync(this StrataTestServer server, string runId) =>
        (await server.GetAsync($"{Api}runs/get?run_id={runId}")).Ok().GetProperty("run");

    /// <summary>An array property, or empty when the server omitted it (empty arrays are omitted on the wire).</summary>
    public static List<JsonElement> List(this JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) ? array.EnumerateArray().ToList() : [];
}
