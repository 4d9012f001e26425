using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Strata.Core.Models;

/// <summary>
/// JSON written the way Python's <c>json.dumps</c> writes it by default (<c>", "</c> and <c>": "</c> separators,
/// non-ASCII escaped), so signature strings in an MLmodel file are byte-for-byte what MLflow produces.
/// Also reads JSON into the same plain value tree <see cref="YamlTree"/> uses.
/// </summary>
public static class PythonJson
{
    public static string Write(object? value)
    {
        var sb = new StringBuilder();
        Write(sb, value);
        return sb.ToString();
    }

    public static void Write(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case null:
                sb.Append("null");
                break;
            case string s:
                WriteString(sb, s);
                break;
            case bool b:
                sb.Append(b ? "true" : "false");
                break;
            case double d:
                sb.Append(FormatDouble(d));
                break;
            case float f:
                sb.Append(FormatDouble(f));
                break;
            case int or long or short or byte or sbyte or uint or ulong or ushort:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
            case IReadOnlyDictionary<string, object?> map:
                WriteMap(sb, map);
                break;
            case IDictionary<string, object?> map:
                WriteMap(sb, map);
                break;
            case System.Collections.IEnumerable list:
                sb.Append('[');
                var first = true;
                foreach (var item in list)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    Write(sb, item);
                }

                sb.Append(']');
                break;
            default:
                throw new ArgumentException($"Cannot write a {value.GetType().Name} as JSON", nameof(value));
        }
    }

    /// <summary>Parses JSON into dictionaries (insertion-ordered), lists, string, long, double, bool and null.</summary>
    public static object? Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return FromElement(doc.RootElement);
    }

    public static object? FromElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => FromElement(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => element.EnumerateArray().Select(FromElement).ToList(),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    private static void WriteMap(StringBuilder sb, IEnumerable<KeyValuePair<string, object?>> map)
    {
        sb.Append('{');
        var first = true;
        foreach (var (key, item) in map)
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            WriteString(sb, key);
            sb.Append(": ");
            Write(sb, item);
        }

        sb.Append('}');
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }

    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d))
        {
            return "NaN";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? "Infinity" : "-Infinity";
        }

        var s = d.ToString("R", CultureInfo.InvariantCulture);
        if (!s.Contains('.', StringComparison.Ordinal) && !s.Contains('E', StringComparison.Ordinal))
        {
            s += ".0";
        }

        return s.Replace("E", "e", StringComparison.Ordinal);
    }
}
