using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Core.Errors;

namespace Strata.Core.Registry;

/// <summary>Format rules for registry input (spec §6, §7). Each failure is 400 naming the field.</summary>
public static partial class RegistryValidation
{
    public const int MaxTagKeyLength = 250;
    public const int MaxRegisteredModelTagValueLength = 5000;
    public const int MaxModelVersionTagValueLength = 100_000;
    public const int MaxAliasLength = 255;

    public static string RequireName(string? name, string field = "name") =>
        string.IsNullOrEmpty(name) ? throw MlflowException.MissingParameter(field) : name;

    public static string Require(string? value, string field) =>
        string.IsNullOrEmpty(value) ? throw MlflowException.MissingParameter(field) : value;

    /// <summary>Parses a wire version ("3") into its number.</summary>
    public static long ParseVersion(string? version, string field = "version")
    {
        Require(version, field);
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw MlflowException.InvalidParameter($"Parameter '{field}' must be an integer, got '{version}'.");
        }

        return number;
    }

    public static void ValidateAlias(string? alias)
    {
        Require(alias, "alias");
        if (alias!.Length > MaxAliasLength)
        {
            throw MlflowException.InvalidParameter($"Registered model alias '{alias[..32]}...' exceeds the maximum length of {MaxAliasLength} characters.");
        }

        if (!AliasPattern().IsMatch(alias))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid alias name: '{alias}'. Names may only contain alphanumerics, underscores (_), and dashes (-).");
        }

        if (string.Equals(alias, "latest", StringComparison.OrdinalIgnoreCase))
        {
            throw MlflowException.InvalidParameter("'latest' is a reserved alias name and cannot be set. It always points to the newest model version.");
        }

        if (VersionLikePattern().IsMatch(alias))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid alias name: '{alias}'. Aliases of the form 'v<number>' (e.g. 'v1', 'V2') are reserved for model version references.");
        }
    }

    /// <summary>Key rules shared with tracking (§7): word characters and <c>/ . - space :</c>, in normalised path form.</summary>
    public static void ValidateTagKey(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            throw MlflowException.MissingParameter("key");
        }

        if (key.Length > MaxTagKeyLength)
        {
            throw MlflowException.InvalidParameter($"Tag key '{key[..32]}...' had length {key.Length}, which exceeded length limit of {MaxTagKeyLength}.");
        }

        if (!TagKeyPattern().IsMatch(key) || !IsNormalizedPath(key))
        {
            throw MlflowException.InvalidParameter(
                $"Invalid tag key '{key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/), and must be a normalized path.");
        }
    }

    public static void ValidateTagValue(string? value, int maxLength, string key)
    {
        if (value is not null && value.Length > maxLength)
        {
            throw MlflowException.InvalidParameter($"Tag value for key '{key}' had length {value.Length}, which exceeded length limit of {maxLength}.");
        }
    }

    private static bool IsNormalizedPath(string key)
    {
        if (key.StartsWith('/') || key.StartsWith("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
            {
                return false;
            }
        }

        return true;
    }

    [GeneratedRegex(@"^[\w\-]*$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^[vV]\d+$")]
    private static partial Regex VersionLikePattern();

    [GeneratedRegex(@"^[/\w.\- :]*$")]
    private static partial Regex TagKeyPattern();
}
