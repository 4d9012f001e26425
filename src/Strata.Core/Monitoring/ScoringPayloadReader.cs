using System.Text;
using System.Text.Json;

namespace Strata.Core.Monitoring;

/// <summary>
/// Reads the request and response bodies the prediction log keeps into feature tables: MLflow's scoring protocol
/// (<c>dataframe_split</c>, <c>dataframe_records</c>, <c>instances</c>, <c>inputs</c>, CSV) and the Open Inference
/// Protocol v2 (<c>inputs</c>/<c>outputs</c> tensors, columns named after the tensors). A single unnamed prediction
/// becomes the column <see cref="PredictionColumn"/>.
/// </summary>
public static class ScoringPayloadReader
{
    public const string PredictionColumn = "prediction";

    public const string V2Protocol = "v2";

    /// <summary>Adds the rows of a logged request body; false when the body has no table in a known form.</summary>
    public static bool ReadInputs(string protocol, string body, FeatureTable table) =>
        ReadInputs(protocol, Encoding.UTF8.GetBytes(body), table);

    /// <summary>Adds the rows of a logged request body given as UTF-8.</summary>
    public static bool ReadInputs(string protocol, ReadOnlyMemory<byte> body, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var trimmed = body.Span.TrimStart(" \t\r\n"u8);
        if (trimmed.Length == 0)
        {
            return false;
        }

        if (trimmed[0] is not ((byte)'{' or (byte)'['))
        {
            CsvTableReader.Read(new StringReader(Encoding.UTF8.GetString(body.Span)), table);
            return true;
        }

        if (protocol != V2Protocol && DataframeSplitReader.TryRead(body.Span, table))
        {
            return true;
        }

        using var document = Parse(body);
        if (document is null)
        {
            return false;
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (protocol == V2Protocol)
        {
            return root.TryGetProperty("inputs", out var tensors) && ReadTensors(tensors, table);
        }

        if (root.TryGetProperty("dataframe_split", out var split))
        {
            return JsonTableReader.ReadTable(split, table);
        }

        if (root.TryGetProperty("dataframe_records", out var records))
        {
            return JsonTableReader.ReadTable(records, table);
        }

        if (root.TryGetProperty("instances", out var instances) || root.TryGetProperty("inputs", out instances))
        {
            return JsonTableReader.ReadTable(instances, table);
        }

        return false;
    }

    /// <summary>Adds the rows of a logged response body.</summary>
    public static bool ReadOutputs(string protocol, string body, FeatureTable table) =>
        ReadOutputs(protocol, Encoding.UTF8.GetBytes(body), table);

    /// <summary>Adds the rows of a logged response body given as UTF-8.</summary>
    public static bool ReadOutputs(string protocol, ReadOnlyMemory<byte> body, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (protocol != V2Protocol && PredictionListReader.TryRead(body.Span, table))
        {
            return true;
        }

        using var document = Parse(body);
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var root = document.RootElement;
        if (protocol == V2Protocol)
        {
            return root.TryGetProperty("outputs", out var tensors) && ReadTensors(tensors, table);
        }

        if (!root.TryGetProperty("predictions", out var predictions))
        {
            return false;
        }

        switch (predictions.ValueKind)
        {
            case JsonValueKind.Array:
                JsonTableReader.ReadRows(predictions, table, null, PredictionColumn);
                return true;
            case JsonValueKind.Object:
                JsonTableReader.ReadColumns(predictions, table);
                return true;
            default:
                JsonTableReader.AddValue(table.Column(PredictionColumn), predictions);
                table.EndRows(1);
                return true;
        }
    }

    /// <summary>OIP v2 tensors: a tensor of shape [n] or [n, 1] is one column; [n, k] gives columns name[0]..name[k−1].</summary>
    private static bool ReadTensors(JsonElement tensors, FeatureTable table)
    {
        if (tensors.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        long rows = 0;
        foreach (var tensor in tensors.EnumerateArray())
        {
            if (!tensor.TryGetProperty("name", out var name) || !tensor.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            var width = 1L;
            if (tensor.TryGetProperty("shape", out var shape) && shape.ValueKind == JsonValueKind.Array)
            {
                var dims = shape.EnumerateArray().Select(d => d.TryGetInt64(out var v) ? v : 1).ToList();
                width = dims.Skip(1).Aggregate(1L, (a, b) => a * Math.Max(b, 1));
            }

            var flat = Flatten(data).ToList();
            var columns = width == 1
                ? [table.Column(name.GetString() ?? "")]
                : Enumerable.Range(0, (int)width).Select(k => table.Column($"{name.GetString()}[{k}]")).ToArray();
            for (var i = 0; i < flat.Count; i++)
            {
                JsonTableReader.AddValue(columns[i % columns.Length], flat[i]);
            }

            rows = Math.Max(rows, flat.Count / columns.Length);
        }

        table.EndRows(rows);
        return true;
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement data)
    {
        foreach (var v in data.EnumerateArray())
        {
            if (v.ValueKind == JsonValueKind.Array)
            {
                foreach (var inner in Flatten(v))
                {
                    yield return inner;
                }
            }
            else
            {
                yield return v;
            }
        }
    }

    private static JsonDocument? Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
