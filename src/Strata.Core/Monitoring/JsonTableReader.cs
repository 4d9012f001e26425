using System.Text.Json;

namespace Strata.Core.Monitoring;

/// <summary>
/// Reads the JSON forms a table takes in MLflow's world into a <see cref="FeatureTable"/>: records
/// (<c>[{"a": 1}, ...]</c>), pandas' split form (<c>{"columns": [...], "data": [[...]]}</c>), columns of arrays
/// (<c>{"a": [1, 2]}</c>), positional rows (<c>[[1, 2], ...]</c>, columns named "0", "1", ...), and JSON Lines.
/// Scalars become numbers, categories (strings, booleans) or missing values (null); nested values are skipped.
/// </summary>
public static class JsonTableReader
{
    /// <summary>A whole JSON document or JSON Lines text.</summary>
    public static void Read(ReadOnlyMemory<byte> utf8, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        try
        {
            using var document = JsonDocument.Parse(utf8);
            ReadTable(document.RootElement, table);
        }
        catch (JsonException)
        {
            // JSON Lines: one record per line.
            var text = System.Text.Encoding.UTF8.GetString(utf8.Span);
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                using var row = JsonDocument.Parse(line);
                ReadTable(row.RootElement, table);
            }
        }
    }

    /// <summary>Adds the rows of one table-shaped element; false when the element is not a table.</summary>
    public static bool ReadTable(JsonElement element, FeatureTable table)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                ReadRows(element, table, null);
                return true;
            case JsonValueKind.Object when element.TryGetProperty("columns", out var columns) && element.TryGetProperty("data", out var data)
                && columns.ValueKind == JsonValueKind.Array && data.ValueKind == JsonValueKind.Array:
                ReadRows(data, table, columns.EnumerateArray().Select(c => table.Column(Name(c))).ToArray());
                return true;
            case JsonValueKind.Object:
                ReadColumns(element, table);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Rows of records, positional rows (named by <paramref name="named"/> or by position), or scalars (one column "0").</summary>
    public static void ReadRows(JsonElement rows, FeatureTable table, FeatureColumn[]? named, string scalarColumn = "0")
    {
        var positional = new List<FeatureColumn>();
        long count = 0;
        foreach (var row in rows.EnumerateArray())
        {
            count++;
            switch (row.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in row.EnumerateObject())
                    {
                        AddValue(table.Column(p.Name), p.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var v in row.EnumerateArray())
                    {
                        var column = named is not null ? (i < named.Length ? named[i] : null) : PositionalColumn(table, positional, i);
                        if (column is not null)
                        {
                            AddValue(column, v);
                        }

                        i++;
                    }

                    break;
                default:
                    AddValue(table.Column(scalarColumn), row);
                    break;
            }
        }

        table.EndRows(count);
    }

    /// <summary>Columns of arrays (<c>{"a": [1, 2], "b": ["x", "y"]}</c>), aligned by position; a scalar is one row.</summary>
    public static void ReadColumns(JsonElement columns, FeatureTable table)
    {
        long rows = 0;
        foreach (var p in columns.EnumerateObject())
        {
            var column = table.Column(p.Name);
            if (p.Value.ValueKind == JsonValueKind.Array)
            {
                long n = 0;
                foreach (var v in p.Value.EnumerateArray())
                {
                    AddValue(column, v);
                    n++;
                }

                rows = Math.Max(rows, n);
            }
            else
            {
                AddValue(column, p.Value);
                rows = Math.Max(rows, 1);
            }
        }

        table.EndRows(rows);
    }

    public static void AddValue(FeatureColumn column, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                column.AddNumber(value.GetDouble());
                break;
            case JsonValueKind.String:
                var text = value.GetString()!;
                if (text.Length == 0)
                {
                    column.AddMissing();
                }
                else
                {
                    column.AddCategory(text);
                }

                break;
            case JsonValueKind.True:
                column.AddCategory("true");
                break;
            case JsonValueKind.False:
                column.AddCategory("false");
                break;
            case JsonValueKind.Array when value.GetArrayLength() == 1:
                AddValue(column, value[0]);
                break;
            case JsonValueKind.Null:
                column.AddMissing();
                break;
            default:
                // A nested value (a tensor row, an object) is not a scalar feature; the row counts it as missing.
                break;
        }
    }

    private static FeatureColumn PositionalColumn(FeatureTable table, List<FeatureColumn> positional, int index)
    {
        while (positional.Count <= index)
        {
            positional.Add(table.Column(positional.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return positional[index];
    }

    private static string Name(JsonElement element) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
}
