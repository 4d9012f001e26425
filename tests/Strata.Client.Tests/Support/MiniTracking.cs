using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Strata.Client.Tests.Support;

/// <summary>
/// A minimal stand-in for the tracking endpoints the fluent API calls (experiments get-by-name/create,
/// runs create/update/log-batch), for unit tests of the client's own logic: batching, retries, statuses.
/// Wire behaviour against the real server is covered by the integration tests.
/// </summary>
public sealed class MiniTracking
{
    private int _nextExperiment = 1;

    public ConcurrentDictionary<string, string> Experiments { get; } = new(); // name -> id

    public ConcurrentDictionary<string, string> RunStatus { get; } = new(); // run id -> status

    public ConcurrentDictionary<string, JsonObject> RunTags { get; } = new();

    /// <summary>Distinct points received per run (duplicates collapse, as on the real server).</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<(string Key, long Step, long Ts, double Value), byte>> Points { get; } = new();

    public ConcurrentQueue<int> BatchSizes { get; } = new();

    /// <summary>When set, log-batch answers this status (a JSON error body) instead of storing.</summary>
    public Func<int?> LogBatchFailure { get; set; } = () => null;

    public async Task Handle(HttpContext context, string body)
    {
        var path = context.Request.Path.Value!.Replace("/api/2.0/mlflow/", "", StringComparison.Ordinal);
        var json = string.IsNullOrEmpty(body) ? new JsonObject() : JsonNode.Parse(body)!.AsObject();
        switch (path)
        {
            case "experiments/get-by-name":
                var name = context.Request.Query["experiment_name"].ToString();
                if (Experiments.TryGetValue(name, out var id))
                {
                    await context.Json("{\"experiment\":{\"experiment_id\":\"" + id + "\",\"name\":\"" + name + "\",\"lifecycle_stage\":\"active\"}}");
                }
                else
                {
                    await context.Json("""{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"no such experiment"}""", 404);
                }
                return;
            case "experiments/create":
                var newId = Interlocked.Increment(ref _nextExperiment).ToString(System.Globalization.CultureInfo.InvariantCulture);
                Experiments[json["name"]!.GetValue<string>()] = newId;
                await context.Json($$"""{"experiment_id":"{{newId}}"}""");
                return;
            case "runs/create":
                var runId = Guid.NewGuid().ToString("N");
                RunStatus[runId] = "RUNNING";
                RunTags[runId] = new JsonObject();
                foreach (var tag in json["tags"]?.AsArray() ?? [])
                {
                    RunTags[runId][tag!["key"]!.GetValue<string>()] = tag["value"]!.GetValue<string>();
                }
                var exp = json["experiment_id"]?.GetValue<string>() ?? "0";
                await context.Json($$$$"""
                    {"run":{"info":{"run_id":"{{{{runId}}}}","run_uuid":"{{{{runId}}}}","run_name":"r","experiment_id":"{{{{exp}}}}",
                    "status":"RUNNING","start_time":1,"artifact_uri":"mlflow-artifacts:/{{{{exp}}}}/{{{{runId}}}}/artifacts",
                    "lifecycle_stage":"active"}}}
                    """);
                return;
            case "runs/update":
                var updated = json["run_id"]!.GetValue<string>();
                RunStatus[updated] = json["status"]!.GetValue<string>();
                await context.Json("{\"run_info\":{\"run_id\":\"" + updated + "\",\"status\":\"" + RunStatus[updated] + "\"}}");
                return;
            case "runs/log-batch":
                if (LogBatchFailure() is { } status)
                {
                    await context.Json($$"""{"error_code":"{{(status == 400 ? "INVALID_PARAMETER_VALUE" : "TEMPORARILY_UNAVAILABLE")}}","message":"scripted failure"}""", status);
                    return;
                }
                var target = Points.GetOrAdd(json["run_id"]!.GetValue<string>(), _ => new());
                var metrics = json["metrics"]?.AsArray() ?? [];
                BatchSizes.Enqueue(metrics.Count);
                foreach (var m in metrics)
                {
                    var valueNode = m!["value"]!;
                    var value = valueNode.GetValueKind() == JsonValueKind.String
                        ? double.Parse(valueNode.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)
                        : valueNode.GetValue<double>();
                    target.TryAdd((m["key"]!.GetValue<string>(), m["step"]!.GetValue<long>(), m["timestamp"]!.GetValue<long>(), value), 0);
                }
                await context.Json("{}");
                return;
            default:
                await context.Json($$"""{"error_code":"ENDPOINT_NOT_FOUND","message":"{{path}}"}""", 404);
                return;
        }
    }
}
