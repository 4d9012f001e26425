using Strata.Core.Errors;
using RegistryUri = Strata.Core.Registry.ModelUri;

namespace Strata.Client.Models;

/// <summary>
/// What <c>LoadModelAsync</c> / <c>DownloadModelAsync</c> accept: a <c>models:/</c> URI (parsed by Core's
/// <see cref="RegistryUri"/>: version, stage, latest, alias or logged model), <c>runs:/run_id/path</c>, an artifact
/// URI (<c>mlflow-artifacts:</c>, <c>http(s):</c>), or a local folder (<c>file:</c> or a path).
/// </summary>
public abstract record ModelReference
{
    public sealed record Registered(RegistryUri Uri) : ModelReference;

    public sealed record RunArtifact(string RunId, string Path) : ModelReference;

    public sealed record LocalFolder(string Path) : ModelReference;

    public sealed record Artifact(string Uri) : ModelReference;

    public static ModelReference Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (RegistryUri.IsModelsUri(uri))
        {
            try
            {
                return new Registered(RegistryUri.Parse(uri));
            }
            catch (MlflowException ex)
            {
                throw new FormatException(ex.Message, ex);
            }
        }
        if (uri.StartsWith("runs:/", StringComparison.Ordinal))
        {
            var rest = uri["runs:/".Length..].Trim('/');
            if (rest.Length == 0)
            {
                throw new FormatException($"'{uri}' names no run: expected runs:/<run_id>/<path>.");
            }
            var slash = rest.IndexOf('/');
            return slash < 0 ? new RunArtifact(rest, "") : new RunArtifact(rest[..slash], rest[(slash + 1)..]);
        }
        if (uri.StartsWith("mlflow-artifacts:", StringComparison.OrdinalIgnoreCase)
            || uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new Artifact(uri);
        }
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return new LocalFolder(new Uri(uri).LocalPath);
        }
        if (!uri.Contains("://", StringComparison.Ordinal))
        {
            return new LocalFolder(uri);
        }
        throw new FormatException($"Unsupported model URI '{uri}'.");
    }
}
