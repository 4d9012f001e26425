using System.Text;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>A <c>text/csv</c> body: a header row naming the columns, then one row per record (RFC 4180 quoting).</summary>
internal static class CsvInputReader
{
    public static ModelInput Read(ReadOnlySpan<byte> body, InputLayout layout)
    {
        var text = Encoding.UTF8.GetString(body);
        var records = Parse(text);
        if (records.Count == 0)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. The CSV body is empty; it needs a header row.");
        }

        if (layout.IsOpen)
        {
            return OpenInputReader.ReadCsv(records);
        }

        var header = records[0];
        var map = new int[header.Count];
        for (var i = 0; i < header.Count; i++)
        {
            map[i] = layout.HasNames ? layout.IndexOf(header[i]!) : i < layout.Count ? i : -1;
        }

        var buffers = new ColumnBuffer?[layout.Count];
        for (var r = 1; r < records.Count; r++)
        {
            var record = records[r];
            if (record.Count != header.Count)
            {
                throw MlflowException.InvalidParameter($"CSV row {r} has {record.Count} fields but the header has {header.Count}.");
            }

            for (var c = 0; c < record.Count; c++)
            {
                if (map[c] >= 0)
                {
                    (buffers[map[c]] ??= layout.NewBuffer(map[c])).AddText(record[c]);
                }
            }
        }

        return layout.Finish(buffers);
    }

    /// <summary>Splits CSV text into records of fields; an empty unquoted field is null (pandas reads it as missing).</summary>
    internal static List<List<string?>> Parse(string text)
    {
        var records = new List<List<string?>>();
        var record = new List<string?>();
        var field = new StringBuilder();
        var quoted = false;
        var wasQuoted = false;
        var i = 0;
        while (i < text.Length)
        {
            var ch = text[i];
            if (quoted)
            {
                if (ch == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        field.Append('"');
                        i += 2;
                        continue;
                    }

                    quoted = false;
                }
                else
                {
                    field.Append(ch);
                }

                i++;
                continue;
            }

            switch (ch)
            {
                case '"':
                    quoted = true;
                    wasQuoted = true;
                    break;
                case ',':
                    record.Add(EndField(field, ref wasQuoted));
                    break;
                case '\r':
                    break;
                case '\n':
                    record.Add(EndField(field, ref wasQuoted));
                    AddRecord(records, ref record);
                    break;
                default:
                    field.Append(ch);
                    break;
            }

            i++;
        }

        if (quoted)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. The CSV body ends inside a quoted field.");
        }

        if (field.Length > 0 || record.Count > 0 || wasQuoted)
        {
            record.Add(EndField(field, ref wasQuoted));
            AddRecord(records, ref record);
        }

        return records;
    }

    private static string? EndField(StringBuilder field, ref bool wasQuoted)
    {
        var value = field.Length == 0 && !wasQuoted ? null : field.ToString();
        field.Clear();
        wasQuoted = false;
        return value;
    }

    private static void AddRecord(List<List<string?>> records, ref List<string?> record)
    {
        // Blank lines are skipped, as pandas does.
        if (!(record.Count == 1 && record[0] is null))
        {
            records.Add(record);
        }

        record = [];
    }
}
