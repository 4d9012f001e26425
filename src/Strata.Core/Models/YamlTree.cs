using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Strata.Core.Models;

/// <summary>
/// Converts between YAML text and a plain value tree: <see cref="IReadOnlyDictionary{TKey,TValue}"/> of string keys,
/// <see cref="IReadOnlyList{T}"/>, string, long, double, bool and null. Plain scalars are typed with the YAML 1.1 rules
/// PyYAML uses, and strings that those rules would read as another type are quoted on the way out, so a file
/// written here reads back in Python as the same values (and vice versa).
/// </summary>
public static partial class YamlTree
{
    /// <summary>Parses one YAML document. An empty document gives null.</summary>
    public static object? Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw MlflowException.InvalidParameter($"Invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }

        return stream.Documents.Count == 0 ? null : FromNode(stream.Documents[0].RootNode);
    }

    /// <summary>Writes a value tree the way PyYAML's <c>safe_dump(default_flow_style=False)</c> lays it out: block style,
    /// keys sorted, sequences not indented under their key, empty collections as <c>{}</c>/<c>[]</c>.</summary>
    public static string Write(object? value)
    {
        var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(2, 80, false, 1024, false, false, "\n"));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, true));
        Emit(emitter, value);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static object? FromNode(YamlNode node) => node switch
    {
        YamlScalarNode scalar => FromScalar(scalar),
        YamlSequenceNode seq => seq.Children.Select(FromNode).ToList(),
        YamlMappingNode map => map.Children.ToDictionary(
            kv => kv.Key is YamlScalarNode k ? k.Value ?? "" : throw MlflowException.InvalidParameter("YAML mapping keys must be scalars"),
            kv => FromNode(kv.Value),
            StringComparer.Ordinal),
        _ => throw MlflowException.InvalidParameter($"Unsupported YAML node at line {node.Start.Line}"),
    };

    private static object? FromScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return text;
        }

        return scalar.Tag.IsEmpty || scalar.Tag.Value == "?" ? Resolve(text) : ResolveTagged(scalar.Tag.Value, text);
    }

    private static object? ResolveTagged(string tag, string text) => tag switch
    {
        "tag:yaml.org,2002:str" => text,
        "tag:yaml.org,2002:null" => null,
        _ => Resolve(text),
    };

    /// <summary>YAML 1.1 implicit typing of a plain scalar (PyYAML's resolver); timestamps stay strings.</summary>
    internal static object? Resolve(string text)
    {
        if (NullPattern().IsMatch(text))
        {
            return null;
        }

        if (BoolPattern().IsMatch(text))
        {
            return text[0] is 'y' or 'Y' or 't' or 'T' || text.Equals("on", StringComparison.OrdinalIgnoreCase);
        }

        if (DecimalIntPattern().IsMatch(text))
        {
            var digits = text.Replace("_", "", StringComparison.Ordinal);
            return long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                ? (object)l
                : double.Parse(digits, CultureInfo.InvariantCulture);
        }

        if (FloatPattern().IsMatch(text))
        {
            var t = text.Replace("_", "", StringComparison.Ordinal);
            return t.ToLowerInvariant() switch
            {
                ".inf" or "+.inf" => double.PositiveInfinity,
                "-.inf" => double.NegativeInfinity,
                ".nan" => double.NaN,
                _ => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
        }

        return text;
    }

    /// <summary>True when a plain scalar with this text would not read back as the same string.</summary>
    internal static bool NeedsQuotes(string text) =>
        text.Length == 0
        || NullPattern().IsMatch(text)
        || BoolPattern().IsMatch(text)
        || DecimalIntPattern().IsMatch(text)
        || OtherIntPattern().IsMatch(text)
        || FloatPattern().IsMatch(text)
        || TimestampPattern().IsMatch(text);

    private static void Emit(IEmitter emitter, object? value)
    {
        switch (value)
        {
            case null:
                EmitPlain(emitter, "null");
                break;
            case string s:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, s,
                    NeedsQuotes(s) ? ScalarStyle.SingleQuoted : ScalarStyle.Any, true, true));
                break;
            case bool b:
                EmitPlain(emitter, b ? "true" : "false");
                break;
            case double d:
                EmitPlain(emitter, FormatDouble(d));
                break;
            case float f:
                EmitPlain(emitter, FormatDouble(f));
                break;
            case int or long or short or byte or uint or ulong:
                EmitPlain(emitter, Convert.ToString(value, CultureInfo.InvariantCulture)!);
                break;
            case IReadOnlyDictionary<string, object?> map:
                EmitMap(emitter, map.Select(kv => kv));
                break;
            case IDictionary<string, object?> map:
                EmitMap(emitter, map.Select(kv => kv));
                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object?>().ToList();
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, true,
                    items.Count == 0 ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var item in items)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            default:
                throw new ArgumentException($"Cannot write a {value.GetType().Name} as YAML", nameof(value));
        }
    }

    private static void EmitMap(IEmitter emitter, IEnumerable<KeyValuePair<string, object?>> entries)
    {
        var sorted = entries.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, true,
            sorted.Count == 0 ? MappingStyle.Flow : MappingStyle.Block));
        foreach (var (key, item) in sorted)
        {
            Emit(emitter, key);
            Emit(emitter, item);
        }

        emitter.Emit(new MappingEnd());
    }

    private static void EmitPlain(IEmitter emitter, string text) =>
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, text, ScalarStyle.Plain, true, false));

    private static string FormatDouble(double d)
    {
        if (double.IsNaN(d))
        {
            return ".nan";
        }

        if (double.IsInfinity(d))
        {
            return d > 0 ? ".inf" : "-.inf";
        }

        var s = d.ToString("R", CultureInfo.InvariantCulture);
        // PyYAML needs a dot for the value to read back as a float (1e-05 would be a string).
        if (!s.Contains('.', StringComparison.Ordinal))
        {
            var e = s.IndexOfAny(['E', 'e']);
            s = e < 0 ? s + ".0" : string.Concat(s.AsSpan(0, e), ".0", s.AsSpan(e));
        }

        return s.Replace("E", "e", StringComparison.Ordinal);
    }

    [GeneratedRegex("^(?:~|null|Null|NULL|)$")]
    private static partial Regex NullPattern();

    [GeneratedRegex("^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$")]
    private static partial Regex BoolPattern();

    [GeneratedRegex("^[-+]?(?:0|[1-9][0-9_]*)$")]
    private static partial Regex DecimalIntPattern();

    [GeneratedRegex("^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$")]
    private static partial Regex OtherIntPattern();

    [GeneratedRegex(@"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")]
    private static partial Regex FloatPattern();

    [GeneratedRegex(@"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$")]
    private static partial Regex TimestampPattern();
}
