using System.Text;
using System.Text.Json;
using Strata.Core.Errors;

namespace Strata.Storage.Registry;

/// <summary>MLflow's token form for registry searches: base64 of <c>{"offset": N}</c>. Malformed tokens are 400.</summary>
internal static class OffsetPageToken
{
    public static string Encode(long offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"offset\": {offset}}}"));

    public static long Decode(string? token) => DecodeField(token, "offset");

    /// <summary>Events page by id: base64 of <c>{"after_id": N}</c>.</summary>
    public static string EncodeAfterId(long id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"after_id\": {id}}}"));

    public static long DecodeAfterId(string? token) => DecodeField(token, "after_id");

    private static long DecodeField(string? token, string field)
    {
        if (string.IsNullOrEmpty(token))
        {
            return 0;
        }

        try
        {
            using var doc = JsonDocument.Parse(Convert.FromBase64String(token));
            if (doc.RootElement.TryGetProperty(field, out var value) && value.TryGetInt64(out var n) && n >= 0)
            {
                return n;
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
        }

        throw MlflowException.InvalidParameter($"Invalid page token, could not decode it: '{token}'.");
    }
}
