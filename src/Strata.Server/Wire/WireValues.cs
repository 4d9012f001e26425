using System.Globalization;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Server.Wire;

/// <summary>
/// Protobuf-JSON leniency for request values (spec §2): integers as numbers or decimal strings,
/// doubles also as "NaN"/"Infinity"/"-Infinity" or numeric strings, enums by name or number, ids
/// as strings or numbers. Every failure names the field path.
/// </summary>
public static class WireValues
{
    public static string? String(JsonElement value, string field) => String(value, FieldPath.Root, field);

    /// <summary>The field <paramref name="field"/> of the item at <paramref name="path"/> (null: the item itself).</summary>
    public static string? String(JsonElement value, FieldPath path, string? field) => value.ValueKind switch
    {
        JsonValueKind.String => Text(value, path, field),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => throw Invalid(value, path, field, "a string"),
    };

    /// <summary>A JSON string's text; an escaped lone surrogate (<c>"\ud800"</c>) has none, and is the client's mistake.</summary>
    private static string Text(JsonElement value, FieldPath path, string? field)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw Invalid(value, path, field, "a string of valid Unicode");
        }
    }

    public static long? Int64(JsonElement value, string field) => Int64(value, FieldPath.Root, field);

    /// <summary>The field <paramref name="field"/> of the item at <paramref name="path"/> (null: the item itself).</summary>
    public static long? Int64(JsonElement value, FieldPath path, string? field) => value.ValueKind switch
    {
        JsonValueKind.Number => value.TryGetInt64(out var n) ? n : IntegralDouble(value.GetDouble(), value, path, field),
        JsonValueKind.String => ParseInt64(Text(value, path, field), path, field),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => throw Invalid(value, path, field, "an integer"),
    };

    public static int? Int32(JsonElement value, string field) => Int32(value, FieldPath.Root, field);

    /// <summary>The field <paramref name="field"/> of the item at <paramref name="path"/> (null: the item itself).</summary>
    public static int? Int32(JsonElement value, FieldPath path, string? field) => ToInt32(Int64(value, path, field), Name(path, field));

    public static double? Double(JsonElement value, string field) => Double(value, FieldPath.Root, field);

    /// <summary>The field <paramref name="field"/> of the item at <paramref name="path"/> (null: the item itself).</summary>
    public static double? Double(JsonElement value, FieldPath path, string? field) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => ParseDouble(Text(value, path, field), path, field),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => throw Invalid(value, path, field, "a number"),
    };

    public static bool? Boolean(JsonElement value, string field) => Boolean(value, FieldPath.Root, field);

    /// <summary>The field <paramref name="field"/> of the item at <paramref name="path"/> (null: the item itself).</summary>
    public static bool? Boolean(JsonElement value, FieldPath path, string? field) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => ParseBoolean(Text(value, path, field), Name(path, field)),
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        _ => throw Invalid(value, path, field, "a boolean"),
    };

    public static TEnum? Enum<TEnum>(JsonElement value, string field)
        where TEnum : struct, Enum => Enum<TEnum>(value, FieldPath.Root, field);

    public static TEnum? Enum<TEnum>(JsonElement value, FieldPath path, string? field)
        where TEnum : struct, Enum => value.ValueKind switch
        {
            JsonValueKind.String => ParseEnum<TEnum>(Text(value, path, field), Name(path, field)),
            JsonValueKind.Number when value.TryGetInt32(out var n) => DefinedEnum<TEnum>(n, value.GetRawText(), Name(path, field)),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => throw Invalid(value, path, field, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}"),
        };

    public static long ParseInt64(string text, string field) => ParseInt64(text, FieldPath.Root, field);

    public static long ParseInt64(string text, FieldPath path, string? field) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw InvalidText(text, Name(path, field), "an integer");

    public static int? ToInt32(long? value, string path) =>
        value is null ? null
        : value is < int.MinValue or > int.MaxValue ? throw MlflowException.InvalidParameter($"Invalid value {value} for parameter '{path}' supplied: it does not fit a 32-bit integer.")
        : (int)value.Value;

    public static double ParseDouble(string text, string field) => ParseDouble(text, FieldPath.Root, field);

    public static double ParseDouble(string text, FieldPath path, string? field) => text switch
    {
        "NaN" or "nan" => double.NaN,
        "Infinity" or "inf" or "+Infinity" => double.PositiveInfinity,
        "-Infinity" or "-inf" => double.NegativeInfinity,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
            ? d
            : throw InvalidText(text, Name(path, field), "a number"),
    };

    public static bool ParseBoolean(string text, string path) =>
        text.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
        : text.Equals("false", StringComparison.OrdinalIgnoreCase) ? false
        : throw InvalidText(text, path, "a boolean ('true' or 'false')");

    public static TEnum ParseEnum<TEnum>(string text, string path)
        where TEnum : struct, Enum
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return DefinedEnum<TEnum>(n, text, path);
        }

        // Names are matched exactly as protobuf does; numeric strings are handled above.
        if (!text.Contains(',', StringComparison.Ordinal) && text.Trim().Length == text.Length
            && System.Enum.TryParse<TEnum>(text, ignoreCase: false, out var value) && System.Enum.IsDefined(value))
        {
            return value;
        }

        throw InvalidText(text, path, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    private static TEnum DefinedEnum<TEnum>(int n, string text, string path)
        where TEnum : struct, Enum
    {
        var value = (TEnum)System.Enum.ToObject(typeof(TEnum), n);
        return System.Enum.IsDefined(value) ? value : throw InvalidText(text, path, $"one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    private static long IntegralDouble(double d, JsonElement value, FieldPath path, string? field) =>
        d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue ? (long)d : throw Invalid(value, path, field, "an integer");

    private static string Name(FieldPath path, string? field) => field is null ? path.ToString() : path.Field(field);

    private static MlflowException Invalid(JsonElement value, FieldPath path, string? field, string expected) =>
        InvalidText(Shorten(value.GetRawText()), Name(path, field), expected);

    private static MlflowException InvalidText(string text, string path, string expected) =>
        MlflowException.InvalidParameter($"Invalid value {Shorten(text)} for parameter '{path}' supplied: expected {expected}.");

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "...";
}
