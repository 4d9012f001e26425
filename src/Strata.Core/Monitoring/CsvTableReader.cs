using System.Globalization;
using System.Text;

namespace Strata.Core.Monitoring;

/// <summary>
/// Reads CSV text with a header row (RFC 4180 quoting) into a <see cref="FeatureTable"/>. A field that reads as a
/// number is a number; an empty field and pandas' usual missing markers (NA, NaN, null, None, ...) are missing.
/// </summary>
public static class CsvTableReader
{
    private static readonly HashSet<string> MissingMarkers = new(StringComparer.Ordinal)
    {
        "", "NA", "N/A", "NaN", "nan", "NAN", "null", "NULL", "None", "<NA>", "#N/A",
    };

    public static void Read(TextReader reader, FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(table);
        var fields = new List<string>();
        var field = new StringBuilder();
        if (!ReadRecord(reader, fields, field))
        {
            return;
        }

        var columns = fields.Select(name => table.Column(name.Trim())).ToArray();
        while (ReadRecord(reader, fields, field))
        {
            if (fields.Count == 1 && fields[0].Length == 0)
            {
                continue;
            }

            for (var i = 0; i < columns.Length && i < fields.Count; i++)
            {
                AddValue(columns[i], fields[i]);
            }

            table.EndRows(1);
        }
    }

    public static void AddValue(FeatureColumn column, string text)
    {
        var trimmed = text.Trim();
        if (MissingMarkers.Contains(trimmed))
        {
            column.AddMissing();
        }
        else if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            column.AddNumber(number);
        }
        else
        {
            column.AddCategory(text);
        }
    }

    /// <summary>One record's fields; false at the end of the input.</summary>
    private static bool ReadRecord(TextReader reader, List<string> fields, StringBuilder field)
    {
        fields.Clear();
        field.Clear();
        var c = reader.Read();
        if (c < 0)
        {
            return false;
        }

        var quoted = false;
        while (true)
        {
            if (c < 0)
            {
                fields.Add(field.ToString());
                return true;
            }

            var ch = (char)c;
            if (quoted)
            {
                if (ch == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(ch);
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (ch is '\n' or '\r')
            {
                if (ch == '\r' && reader.Peek() == '\n')
                {
                    reader.Read();
                }

                fields.Add(field.ToString());
                return true;
            }
            else
            {
                field.Append(ch);
            }

            c = reader.Read();
        }
    }
}
