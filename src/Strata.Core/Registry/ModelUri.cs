using Strata.Core.Errors;

namespace Strata.Core.Registry;

public enum ModelUriKind
{
    /// <summary><c>models:/name/3</c></summary>
    Version,
    /// <summary><c>models:/name/Production</c> (any stage, case-insensitive)</summary>
    Stage,
    /// <summary><c>models:/name/latest</c></summary>
    Latest,
    /// <summary><c>models:/name@alias</c></summary>
    Alias,
    /// <summary><c>models:/m-&lt;id&gt;</c>, a 3.x logged model</summary>
    LoggedModel,
}

/// <summary>
/// A parsed <c>models:/</c> URI. <see cref="Reference"/> holds the version digits, canonical stage,
/// alias or logged-model id; <see cref="SubPath"/> is the part after it ("" when none).
/// </summary>
public sealed record ModelUri(ModelUriKind Kind, string Name, string Reference, string SubPath)
{
    public const string Scheme = "models:";

    public static bool IsModelsUri(string? uri) => uri is not null && uri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses the forms of model-format spec §3; anything else is 400.</summary>
    public static ModelUri Parse(string uri)
    {
        if (!IsModelsUri(uri))
        {
            throw Invalid(uri, "it does not start with 'models:/'");
        }

        var path = uri[Scheme.Length..].TrimStart('/');
        var segments = path.Split('/');
        var first = segments[0];
        if (first.Length == 0)
        {
            throw Invalid(uri, "the model name is missing");
        }

        var at = first.LastIndexOf('@');
        if (at >= 0)
        {
            var name = first[..at];
            var alias = first[(at + 1)..];
            if (name.Length == 0 || alias.Length == 0)
            {
                throw Invalid(uri, "expected models:/<name>@<alias>");
            }

            return new ModelUri(ModelUriKind.Alias, name, alias, JoinRest(segments, 1));
        }

        if (segments.Length == 1 || segments[1].Length == 0)
        {
            if (first.StartsWith("m-", StringComparison.Ordinal) && segments.Length <= 2)
            {
                return new ModelUri(ModelUriKind.LoggedModel, string.Empty, first, string.Empty);
            }

            throw Invalid(uri, "expected models:/<name>/<version or stage>, models:/<name>@<alias> or models:/<model_id>");
        }

        var suffix = segments[1];
        var rest = JoinRest(segments, 2);
        if (suffix.All(char.IsAsciiDigit))
        {
            return new ModelUri(ModelUriKind.Version, first, suffix, rest);
        }

        if (string.Equals(suffix, "latest", StringComparison.OrdinalIgnoreCase))
        {
            return new ModelUri(ModelUriKind.Latest, first, "latest", rest);
        }

        return new ModelUri(ModelUriKind.Stage, first, ModelStages.Canonicalize(suffix), rest);
    }

    /// <summary>Appends the sub-path to a resolved location.</summary>
    public string Under(string location) =>
        SubPath.Length == 0 ? location : location.TrimEnd('/') + "/" + SubPath;

    private static string JoinRest(string[] segments, int from) =>
        from >= segments.Length ? string.Empty : string.Join('/', segments[from..]).Trim('/');

    private static MlflowException Invalid(string uri, string why) =>
        MlflowException.InvalidParameter($"Invalid model URI '{uri}': {why}.");
}

/// <summary>The registered version a <c>models:/</c> URI points to, and the path inside it.</summary>
public sealed record ResolvedModelVersion(string Name, long Version, string SubPath);
