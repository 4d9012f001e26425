using System.Globalization;
using System.Text;
using System.Text.Json;
using Strata.Core.Errors;

namespace Strata.Storage.Tracking;

/// <summary>
/// Opaque page tokens: base64 of a small JSON object holding either the last row's sort values
/// (keyset: deep pages cost what the first does) or an offset, plus a fingerprint of the query so a
/// token replayed against a different query is refused rather than silently misread.
/// Values are typed strings ("l:" long, "d:" double, "s:" string) so doubles such as ±Infinity survive.
/// </summary>
internal sealed record PageToken(string Fingerprint, IReadOnlyList<object>? Keys, long? Offset)
{
    public string Encode()
    {
        var json = JsonSerializer.Serialize(new Wire
        {
            F = Fingerprint,
            K = Keys?.Select(EncodeValue).ToList(),
            O = Offset,
        });
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Decodes a token; anything malformed or made for another query is INVALID_PARAMETER_VALUE.</summary>
    public static PageToken? Decode(string? token, string fingerprint)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        Wire? wire;
        try
        {
            wire = JsonSerializer.Deserialize<Wire>(Convert.FromBase64String(token));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            throw Invalid(token);
        }

        if (wire is null || wire.F != fingerprint || (wire.K is null) == (wire.O is null) || wire.O < 0)
        {
            throw Invalid(token);
        }

        try
        {
            return new PageToken(wire.F, wire.K?.Select(DecodeValue).ToList(), wire.O);
        }
        catch (FormatException)
        {
            throw Invalid(token);
        }
    }

    private static MlflowException Invalid(string token) =>
        MlflowException.InvalidParameter($"Invalid page token '{token}'. Pass the next_page_token of a previous response to the same query.");

    private static string EncodeValue(object value) => value switch
    {
        long l => "l:" + l.ToString(CultureInfo.InvariantCulture),
        int i => "l:" + i.ToString(CultureInfo.InvariantCulture),
        double d => "d:" + d.ToString("R", CultureInfo.InvariantCulture),
        string s => "s:" + s,
        _ => throw new ArgumentException($"Unsupported page key type {value.GetType()}"),
    };

    private static object DecodeValue(string text) => text.Length < 2 || text[1] != ':'
        ? throw new FormatException()
        : text[0] switch
        {
            'l' => long.Parse(text.AsSpan(2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            'd' => double.Parse(text.AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture),
            's' => text[2..],
            _ => throw new FormatException(),
        };

    private sealed class Wire
    {
        public string? F { get; set; }
        public List<string>? K { get; set; }
        public long? O { get; set; }
    }
}
