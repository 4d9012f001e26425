using Strata.Core.Errors;

namespace Strata.Serving.Hosting;

/// <summary>What kind of model URI a route serves.</summary>
public enum ModelUriKind
{
    LocalFolder,
    Run,
    RegistryVersion,
    RegistryAlias,
    RegistryStage,
    RegistryLatest,
}

/// <summary>
/// A parsed model URI: a local folder (or <c>file://</c>), <c>runs:/&lt;run_id&gt;/&lt;path&gt;</c>, or
/// <c>models:/&lt;name&gt;/&lt;version|stage|latest&gt;</c> / <c>models:/&lt;name&gt;@&lt;alias&gt;</c> (spec §3).
/// </summary>
public sealed record ModelUri(ModelUriKind Kind, string Text, string? Name = null, string? Reference = null, string? SubPath = null)
{
    /// <summary>Aliases, stages and "latest" can move to another version; they are polled.</summary>
    public bool CanMove => Kind is ModelUriKind.RegistryAlias or ModelUriKind.RegistryStage or ModelUriKind.RegistryLatest;

    public bool NeedsTrackingServer => Kind != ModelUriKind.LocalFolder;

    public static ModelUri Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (uri.StartsWith("models:/", StringComparison.Ordinal))
        {
            var rest = uri["models:/".Length..].TrimStart('/');
            var at = rest.LastIndexOf('@');
            if (at > 0)
            {
                return new ModelUri(ModelUriKind.RegistryAlias, uri, rest[..at], rest[(at + 1)..]);
            }

            var slash = rest.LastIndexOf('/');
            if (slash <= 0 || slash == rest.Length - 1)
            {
                throw MlflowException.InvalidParameter(
                    $"Invalid model URI '{uri}': expected models:/<name>/<version>, models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>.");
            }

            var name = rest[..slash];
            var suffix = rest[(slash + 1)..];
            if (suffix.All(char.IsAsciiDigit))
            {
                return new ModelUri(ModelUriKind.RegistryVersion, uri, name, suffix);
            }

            return suffix.Equals("latest", StringComparison.OrdinalIgnoreCase)
                ? new ModelUri(ModelUriKind.RegistryLatest, uri, name, suffix)
                : new ModelUri(ModelUriKind.RegistryStage, uri, name, suffix);
        }

        if (uri.StartsWith("runs:/", StringComparison.Ordinal))
        {
            var rest = uri["runs:/".Length..].TrimStart('/');
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            var runId = slash < 0 ? rest : rest[..slash];
            var path = slash < 0 ? string.Empty : rest[(slash + 1)..].Trim('/');
            if (runId.Length == 0)
            {
                throw MlflowException.InvalidParameter($"Invalid model URI '{uri}': expected runs:/<run_id>/<path>.");
            }

            return new ModelUri(ModelUriKind.Run, uri, runId, null, path);
        }

        var local = uri.StartsWith("file://", StringComparison.Ordinal) ? new Uri(uri).LocalPath : uri;
        return new ModelUri(ModelUriKind.LocalFolder, uri, null, null, Path.GetFullPath(local));
    }

    /// <summary>The route name a URI suggests when none is given: the registered model, or the folder's name.</summary>
    public string DefaultRouteName => Kind switch
    {
        ModelUriKind.LocalFolder => Path.GetFileName(SubPath!.TrimEnd(Path.DirectorySeparatorChar)) is { Length: > 0 } n ? n : "model",
        ModelUriKind.Run => "model",
        _ => Name!,
    };
}
