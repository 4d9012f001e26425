using System.Text;

namespace Strata.Server.Ui;

/// <summary>Splits one CSV line (RFC 4180 quoting: "a, b" and doubled quotes) for the artifact preview.</summary>
public static class CsvLine
{
    public static string[] Split(string line, char separator = ',')
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') { quoted = false; }
                else { cell.Append(c); }
            }
            else if (c == '"') { quoted = true; }
            else if (c == separator) { cells.Add(cell.ToString()); cell.Clear(); }
            else { cell.Append(c); }
        }

        cells.Add(cell.ToString());
        return [.. cells];
    }
}
