using System.Text.Json;

namespace Strata.Core.Monitoring;

/// <summary>
/// The fast path for the body MLflow's client sends, <c>{"dataframe_split": {"columns": [...], "data": [[...]]}}</c>:
/// one forward pass of a <see cref="Utf8JsonReader"/> straight into the columns, with no document and no string for a
/// number or a category already seen. It gives up (returning false) before adding anything when the body is not in
/// that form, or its columns come after its data, and the general reader takes over.
/// </summary>
internal static class DataframeSplitReader
{
    public static bool TryRead(ReadOnlySpan<byte> body, FeatureTable table)
    {
        var json = new Utf8JsonReader(body);
        try
        {
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
            {
                if (!json.ValueTextEquals("dataframe_split"u8))
                {
                    json.Read();
                    json.Skip();
                    continue;
                }

                json.Read();
                return json.TokenType == JsonTokenType.StartObject && ReadSplit(ref json, table);
            }

            return false;
        }
        catch (JsonException)
        {
            // Malformed before any value was added (a body broken inside its data is handled in ReadRows).
            return false;
        }
    }

    private static bool ReadSplit(ref Utf8JsonReader json, FeatureTable table)
    {
        FeatureColumn[]? columns = null;
        while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
        {
            if (json.ValueTextEquals("columns"u8))
            {
                json.Read();
                if (json.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }

                var list = new List<FeatureColumn>();
                while (json.Read() && json.TokenType != JsonTokenType.EndArray)
                {
                    list.Add(table.Column(json.TokenType == JsonTokenType.String ? json.GetString()! : System.Text.Encoding.UTF8.GetString(json.ValueSpan)));
                }

                columns = [.. list];
            }
            else if (json.ValueTextEquals("data"u8))
            {
                if (columns is null)
                {
                    return false;
                }

                json.Read();
                if (json.TokenType != JsonTokenType.StartArray)
                {
                    return false;
                }

                ReadRows(ref json, table, columns);
                return true;
            }
            else
            {
                json.Read();
                json.Skip();
            }
        }

        return false;
    }

    private static void ReadRows(ref Utf8JsonReader json, FeatureTable table, FeatureColumn[] columns)
    {
        long rows = 0;
        try
        {
            ReadRowsUntilEnd(ref json, columns, ref rows);
        }
        catch (JsonException)
        {
            // A body cut short after its first values: what was read counts (the general reader would refuse it
            // whole, but these values are already in the columns).
        }
        finally
        {
            table.EndRows(rows);
        }
    }

    private static void ReadRowsUntilEnd(ref Utf8JsonReader json, FeatureColumn[] columns, ref long rows)
    {
        while (json.Read() && json.TokenType == JsonTokenType.StartArray)
        {
            rows++;
            var i = 0;
            while (json.Read() && json.TokenType != JsonTokenType.EndArray)
            {
                if (i < columns.Length)
                {
                    Add(ref json, columns[i]);
                }
                else
                {
                    json.Skip();
                }

                i++;
            }
        }
    }

    private static void Add(ref Utf8JsonReader json, FeatureColumn column)
    {
        switch (json.TokenType)
        {
            case JsonTokenType.Number:
                column.AddNumber(DecimalText.TryParse(json.ValueSpan, out var number) ? number : json.GetDouble());
                break;
            case JsonTokenType.String when json.ValueSpan.Length == 0:
                column.AddMissing();
                break;
            case JsonTokenType.String when !json.ValueIsEscaped:
                column.AddCategory(json.ValueSpan);
                break;
            case JsonTokenType.String:
                column.AddCategory(json.GetString()!);
                break;
            case JsonTokenType.True:
                column.AddCategory("true");
                break;
            case JsonTokenType.False:
                column.AddCategory("false");
                break;
            case JsonTokenType.Null:
                column.AddMissing();
                break;
            case JsonTokenType.StartArray:
                // [v] is v, as the general reader takes it; anything longer is not a scalar feature.
                var probe = json;
                probe.Read();
                if (probe.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject or JsonTokenType.EndArray))
                {
                    var value = probe;
                    probe.Read();
                    if (probe.TokenType == JsonTokenType.EndArray)
                    {
                        Add(ref value, column);
                        json = probe;
                        return;
                    }
                }

                json.Skip();
                break;
            default:
                json.Skip();
                break;
        }
    }
}
