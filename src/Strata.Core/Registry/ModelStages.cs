using Strata.Core.Errors;

namespace Strata.Core.Registry;

/// <summary>The four (deprecated but still used) model version stages, matched case-insensitively.</summary>
public static class ModelStages
{
    public const string None = "None";
    public const string Staging = "Staging";
    public const string Production = "Production";
    public const string Archived = "Archived";

    /// <summary>Canonical spellings in the order get-latest-versions reports them.</summary>
    public static IReadOnlyList<string> All { get; } = [None, Staging, Production, Archived];

    public static bool TryCanonicalize(string? value, out string canonical)
    {
        foreach (var stage in All)
        {
            if (string.Equals(stage, value, StringComparison.OrdinalIgnoreCase))
            {
                canonical = stage;
                return true;
            }
        }

        canonical = string.Empty;
        return false;
    }

    /// <summary>The canonical spelling, or 400 naming the accepted values.</summary>
    public static string Canonicalize(string? value) =>
        TryCanonicalize(value, out var canonical)
            ? canonical
            : throw MlflowException.InvalidParameter(
                $"Invalid Model Version stage: {value}. Value must be one of {string.Join(", ", All)}.");
}
