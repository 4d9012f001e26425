using System.Text.Json;
using Strata.Core.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Tracking;

/// <summary>Readers for the nested messages of tracking requests; each names its fields by path.</summary>
internal static class TrackingWire
{
    public static string? RunId(WireRequest request) => NullIfEmpty(request.String("run_id")) ?? NullIfEmpty(request.String("run_uuid"));

    public static KeyValueRequest KeyValue(JsonElement e, FieldPath path) =>
        new(String(e, "key", path), String(e, "value", path));

    public static MetricRequest Metric(JsonElement e, FieldPath path)
    {
        string? key = null, modelId = null, datasetName = null, datasetDigest = null;
        double? value = null;
        long? timestamp = null, step = null;
        foreach (var property in e.EnumerateObject())
        {
            var v = property.Value;
            if (property.NameEquals("key"u8))
            {
                key = WireValues.String(v, path, "key");
            }
            else if (property.NameEquals("value"u8))
            {
                value = WireValues.Double(v, path, "value");
            }
            else if (property.NameEquals("timestamp"u8))
            {
                timestamp = WireValues.Int64(v, path, "timestamp");
            }
            else if (property.NameEquals("step"u8))
            {
                step = WireValues.Int64(v, path, "step");
            }
            else if (property.NameEquals("model_id"u8))
            {
                modelId = WireValues.String(v, path, "model_id");
            }
            else if (property.NameEquals("dataset_name"u8))
            {
                datasetName = WireValues.String(v, path, "dataset_name");
            }
            else if (property.NameEquals("dataset_digest"u8))
            {
                datasetDigest = WireValues.String(v, path, "dataset_digest");
            }
        }

        return new MetricRequest(key, value, timestamp, step, modelId, datasetName, datasetDigest);
    }

    // Nested deeper than one list, so paths are plain strings; log-inputs is not a hot path.
    public static DatasetInputRequest DatasetInput(JsonElement e, FieldPath itemPath)
    {
        var path = itemPath.ToString();
        var tags = Objects(e, "tags", path, (t, p) => new KeyValueRequest(String(t, "key", p), String(t, "value", p)));
        DatasetRequest? dataset = null;
        if (e.TryGetProperty("dataset", out var d) && d.ValueKind == JsonValueKind.Object)
        {
            var p = path + ".dataset";
            dataset = new DatasetRequest(
                String(d, "name", p), String(d, "digest", p), String(d, "source_type", p), String(d, "source", p),
                String(d, "schema", p), String(d, "profile", p));
        }

        return new DatasetInputRequest(tags, dataset);
    }

    public static string? ModelId(JsonElement e, FieldPath path) => String(e, "model_id", path);

    public static ModelOutputRequest ModelOutput(JsonElement e, FieldPath path) =>
        new(String(e, "model_id", path), e.TryGetProperty("step", out var s) ? WireValues.Int64(s, path, "step") : null);

    public static LoggedModelOrderRequest LoggedModelOrder(JsonElement e, FieldPath path) =>
        new(
            String(e, "field_name", path),
            e.TryGetProperty("ascending", out var a) ? WireValues.Boolean(a, path, "ascending") : null,
            String(e, "dataset_name", path),
            String(e, "dataset_digest", path));

    public static LoggedModelDatasetRequest LoggedModelDataset(JsonElement e, FieldPath path) =>
        new(String(e, "dataset_name", path), String(e, "dataset_digest", path));

    public static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static string? String(JsonElement e, string name, FieldPath path) =>
        e.TryGetProperty(name, out var v) ? WireValues.String(v, path, name) : null;

    private static string? String(JsonElement e, string name, string path) =>
        e.TryGetProperty(name, out var v) ? WireValues.String(v, $"{path}.{name}") : null;

    private static IReadOnlyList<T> Objects<T>(JsonElement e, string name, string path, Func<JsonElement, string, T> read)
    {
        if (!e.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw Core.Errors.MlflowException.InvalidParameter($"Invalid value for parameter '{path}.{name}' supplied: expected a JSON array.");
        }

        var result = new List<T>(array.GetArrayLength());
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            var itemPath = $"{path}.{name}[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw Core.Errors.MlflowException.InvalidParameter($"Invalid value for parameter '{itemPath}' supplied: expected a JSON object.");
            }

            result.Add(read(item, itemPath));
        }

        return result;
    }
}
