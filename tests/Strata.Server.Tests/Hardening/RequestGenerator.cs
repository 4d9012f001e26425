using System.Globalization;
using System.Text;

namespace Strata.Server.Tests.Hardening;

/// <summary>
/// Seeded generator of hostile requests: bodies and query strings built from the API's own field names with values of
/// every wrong kind (types, invalid UTF-8, huge and deeply nested values, traversal strings, special numbers).
/// </summary>
internal sealed class RequestGenerator(int seed)
{
    private static readonly string[] Fields =
    [
        "name", "new_name", "experiment_id", "experiment_ids", "run_id", "run_uuid", "key", "value", "metrics", "params", "tags", "filter",
        "filter_string", "order_by", "max_results", "page_token", "path", "version", "alias", "source", "stage", "description", "start_time",
        "end_time", "status", "timestamp", "step", "artifact_location", "lifecycle_stage", "view_type", "run_view_type", "model_id", "dataset",
        "datasets", "inputs", "models", "metric_key", "run_ids", "url", "events", "secret", "webhook_id", "event", "trace_id", "request_id",
        "trace_ids", "locations", "assessment", "template", "archive_existing_versions", "stages", "upload_id", "part_number", "parts",
        "experiment_name", "start_step", "end_step", "route", "weights", "deployment", "sample_rate", "from", "to", "bucket", "inputs", "instances",
        "dataframe_split", "dataframe_records", "columns", "data", "shape", "datatype", "outputs", "parameters",
    ];

    private static readonly string[] Hostile =
    [
        "../../../../etc/passwd", "..\\..\\windows", "/abs/path", "%2e%2e%2f", "a/../../b", "file:///etc/passwd", "s3://b/../../x", "runs:/../x",
        "models:/../../x", "mlflow-artifacts:/../../x", "", " ", "\0", "NaN", "Infinity", "-1", "9223372036854775808", "1e309", "true", "null",
        "'; DROP TABLE runs; --", "name = 'x' OR 1=1", "metrics.`", "tags.\"", "ünïcödé ✓", "\ud83d\ude00", "{{ x }}", "%", "_", "\\",
        "http://169.254.169.254/latest/meta-data/",
    ];

    private readonly Random _random = new(seed);

    /// <summary>A JSON body (as bytes; sometimes not UTF-8, sometimes not JSON).</summary>
    public byte[] Body()
    {
        switch (_random.Next(12))
        {
            case 0:
                return "{\"name\":\"\xff\xfe\"}"u8.ToArray().Concat(new byte[] { 0xff, 0xc0, 0xaf }).ToArray();
            case 1:
                return Encoding.UTF8.GetBytes(new string('[', 2000) + new string(']', 2000));
            case 2:
                return Encoding.UTF8.GetBytes("{\"" + Pick(Fields) + "\": " + Value(0) + ", ");
            default:
                var sb = new StringBuilder("{");
                var count = _random.Next(1, 6);
                for (var i = 0; i < count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    sb.Append('"').Append(Pick(Fields)).Append("\":").Append(Value(0));
                }

                return Encoding.UTF8.GetBytes(sb.Append('}').ToString());
        }
    }

    /// <summary>A query string of the API's field names with hostile values (already escaped).</summary>
    public string Query()
    {
        var parts = Enumerable.Range(0, _random.Next(1, 5))
            .Select(_ => Uri.EscapeDataString(Pick(Fields)) + "=" + Uri.EscapeDataString(ScalarText()));
        return "?" + string.Join("&", parts);
    }

    /// <summary>A value for a route parameter: hostile text, escaped so it stays one segment.</summary>
    public string RouteValue() => Uri.EscapeDataString(ScalarText() is { Length: > 0 } s ? s : "x");

    private string ScalarText() => _random.Next(4) switch
    {
        0 => new string('a', _random.Next(1, 3) == 1 ? 300 : 70_000),
        1 => _random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        _ => Pick(Hostile),
    };

    private string Value(int depth)
    {
        var kind = depth > 3 ? _random.Next(5) : _random.Next(9);
        return kind switch
        {
            0 => Json(Pick(Hostile)),
            1 => _random.Next(3) switch { 0 => "1e308", 1 => "-9223372036854775809", _ => _random.NextInt64().ToString(CultureInfo.InvariantCulture) },
            2 => _random.Next(2) == 0 ? "true" : "null",
            3 => Json(new string('x', _random.Next(2) == 0 ? 10_000 : 600_000)),
            4 => "\"\\ud800\"",
            5 => "[" + string.Join(",", Enumerable.Range(0, _random.Next(0, 4)).Select(_ => Value(depth + 1))) + "]",
            6 => "{\"key\":" + Value(depth + 1) + ",\"value\":" + Value(depth + 1) + ",\"timestamp\":" + Value(depth + 1) + "}",
            7 => "[{\"key\":" + Value(depth + 1) + ",\"value\":" + Value(depth + 1) + ",\"step\":" + Value(depth + 1) + "}]",
            _ => "{\"" + Pick(Fields) + "\":" + Value(depth + 1) + "}",
        };
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
