using System.Text;
using System.Text.Json;

namespace Strata.Serving.Deployments;

/// <summary>
/// Reads a sticky key from an input column: the named column's value in the request's first row, in every body form the
/// endpoints take (MLflow's <c>dataframe_split</c>, <c>dataframe_records</c>, <c>inputs</c> as columns or records,
/// <c>instances</c>, CSV, and the Open Inference Protocol's named inputs). Null when the column is absent: the request
/// is then routed by weight like one without a key.
/// </summary>
public static class StickyKeyReader
{
    public static string? FromColumn(ReadOnlySpan<byte> body, string? contentType, string column)
    {
        if (contentType is not null && contentType.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return FromCsv(Encoding.UTF8.GetString(body), column);
        }

        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("dataframe_split", out var split))
            {
                if (split.TryGetProperty("columns", out var columns) && columns.ValueKind == JsonValueKind.Array
                    && split.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0)
                {
                    var index = 0;
                    foreach (var c in columns.EnumerateArray())
                    {
                        if (c.ValueKind == JsonValueKind.String && c.GetString() == column)
                        {
                            var row = data[0];
                            return row.ValueKind == JsonValueKind.Array && row.GetArrayLength() > index ? Text(row[index]) : null;
                        }

                        index++;
                    }
                }

                return null;
            }

            foreach (var records in new[] { "dataframe_records", "instances" })
            {
                if (root.TryGetProperty(records, out var list))
                {
                    return FirstRecord(list, column);
                }
            }

            if (root.TryGetProperty("inputs", out var inputs))
            {
                if (inputs.ValueKind == JsonValueKind.Object)
                {
                    return inputs.TryGetProperty(column, out var values) ? First(values) : null;
                }

                if (inputs.ValueKind == JsonValueKind.Array)
                {
                    // The v2 form: [{"name": ..., "data": [...]}]; otherwise records.
                    foreach (var input in inputs.EnumerateArray())
                    {
                        if (input.ValueKind == JsonValueKind.Object && input.TryGetProperty("name", out var name) && input.TryGetProperty("data", out var data))
                        {
                            if (name.ValueKind == JsonValueKind.String && name.GetString() == column)
                            {
                                return First(data);
                            }
                        }
                        else
                        {
                            return FirstRecord(inputs, column);
                        }
                    }
                }
            }
        }
        catch (JsonException)
        {
            // A malformed body has no key; the model's parser answers it with the protocol's 400.
        }

        return null;
    }

    private static string? FirstRecord(JsonElement list, string column) =>
        list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0 && list[0].ValueKind == JsonValueKind.Object
            && list[0].TryGetProperty(column, out var value)
            ? Text(value)
            : null;

    private static string? First(JsonElement values)
    {
        while (values.ValueKind == JsonValueKind.Array)
        {
            if (values.GetArrayLength() == 0)
            {
                return null;
            }

            values = values[0];
        }

        return Text(values);
    }

    private static string? Text(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => value.GetRawText(),
    };

    private static string? FromCsv(string text, string column)
    {
        var lines = text.Split('\n', 3);
        if (lines.Length < 2)
        {
            return null;
        }

        var header = lines[0].TrimEnd('\r').Split(',');
        var row = lines[1].TrimEnd('\r').Split(',');
        var index = Array.FindIndex(header, h => h.Trim().Trim('"') == column);
        return index >= 0 && index < row.Length ? row[index].Trim().Trim('"') : null;
    }
}
