using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Traces;

/// <summary>
/// Request bodies exactly as the MLflow 3.5 client writes them (printed with its <c>message_to_json</c> from the
/// entities it builds in <c>mlflow.start_span</c>, <c>log_feedback</c>, <c>log_expectation</c>), with the ids swapped in.
/// </summary>
internal static class TraceTestPayloads
{
    public const string V3 = "/api/3.0/mlflow/traces";
    public const string V2 = "/api/2.0/mlflow/traces";

    public static string NewTraceId() => "tr-" + Guid.NewGuid().ToString("N");

    public static string StartTrace(string traceId, string experimentId, long requestTimeMs = 1735689600123, string duration = "1.500s",
        string state = "OK", string traceName = "predict", string team = "a", string sourceRun = "abc") => $$"""
        {
          "trace": {
            "trace_info": {
              "trace_id": "{{traceId}}",
              "trace_location": {
                "type": "MLFLOW_EXPERIMENT",
                "mlflow_experiment": {
                  "experiment_id": "{{experimentId}}"
                }
              },
              "request_time": "{{DateTimeOffset.FromUnixTimeMilliseconds(requestTimeMs).UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}}",
              "execution_duration": "{{duration}}",
              "state": "{{state}}",
              "trace_metadata": {
                "mlflow.user": "alice",
                "mlflow.trace_schema.version": "3",
                "mlflow.sourceRun": "{{sourceRun}}"
              },
              "tags": {
                "team": "{{team}}",
                "mlflow.traceName": "{{traceName}}"
              },
              "request_preview": "{\"question\": \"hi\"}",
              "response_preview": "\"hello\""
            }
          }
        }
        """;

    public static string Feedback(string traceId) => $$"""
        {
          "assessment": {
            "assessment_name": "correctness",
            "trace_id": "{{traceId}}",
            "source": {
              "source_type": "LLM_JUDGE",
              "source_id": "gpt-4"
            },
            "create_time": "2025-01-01T00:00:01.598Z",
            "last_update_time": "2025-01-01T00:00:01.598Z",
            "feedback": {
              "value": true
            },
            "rationale": "looks right",
            "metadata": {
              "k": "v"
            },
            "valid": true
          }
        }
        """;

    public static string Expectation(string traceId) => $$"""
        {
          "assessment": {
            "assessment_name": "expected_answer",
            "trace_id": "{{traceId}}",
            "source": {
              "source_type": "HUMAN",
              "source_id": "bob"
            },
            "create_time": "2025-01-01T00:00:02.598Z",
            "last_update_time": "2025-01-01T00:00:02.598Z",
            "expectation": {
              "serialized_value": {
                "serialization_format": "JSON_FORMAT",
                "value": "{\"answer\": \"hello\", \"n\": [1, 2]}"
              }
            }
          }
        }
        """;

    public static string FeedbackError(string traceId) => $$"""
        {
          "assessment": {
            "assessment_name": "toxicity",
            "trace_id": "{{traceId}}",
            "source": {
              "source_type": "CODE",
              "source_id": "f"
            },
            "create_time": "2025-01-01T00:00:03.605Z",
            "last_update_time": "2025-01-01T00:00:03.605Z",
            "feedback": {
              "value": null,
              "error": {
                "error_code": "RATE_LIMIT",
                "error_message": "too many"
              }
            },
            "valid": true
          }
        }
        """;

    public static string Override(string traceId, string overrides) => $$"""
        {
          "assessment": {
            "assessment_name": "correctness",
            "trace_id": "{{traceId}}",
            "source": {
              "source_type": "HUMAN",
              "source_id": "bob"
            },
            "create_time": "2025-01-01T00:00:04.616Z",
            "last_update_time": "2025-01-01T00:00:04.616Z",
            "feedback": {
              "value": false
            },
            "overrides": "{{overrides}}",
            "valid": true
          }
        }
        """;

    public static string Update(string traceId, string assessmentId) => $$"""
        {
          "assessment": {
            "assessment_id": "{{assessmentId}}",
            "assessment_name": "new",
            "trace_id": "{{traceId}}",
            "feedback": {
              "value": 0.5
            },
            "rationale": "r"
          },
          "update_mask": "assessmentName,rationale,feedback"
        }
        """;

    public static string Search(string experimentId, string? filter, string orderBy = "timestamp_ms DESC", int maxResults = 100, string? pageToken = null) =>
        JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["locations"] = new[] { new { type = "MLFLOW_EXPERIMENT", mlflow_experiment = new { experiment_id = experimentId } } },
            ["filter"] = filter,
            ["max_results"] = maxResults,
            ["order_by"] = new[] { orderBy },
            ["page_token"] = pageToken,
        }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));

    public static async Task<JsonElement> StartAsync(this StrataTestServer server, string body)
    {
        var response = await server.PostAsync(V3, body);
        return response.Ok().GetProperty("trace").GetProperty("trace_info");
    }

    public static string Tag(this JsonElement info, string key) =>
        info.GetProperty("tags").TryGetProperty(key, out var value) ? value.GetString()! : throw new KeyNotFoundException(key);
}
