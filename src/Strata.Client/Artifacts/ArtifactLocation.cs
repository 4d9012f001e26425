namespace Strata.Client.Artifacts;

/// <summary>
/// Where the bytes of an artifact URI live, as the client decides it from the URI scheme (mlflow-artifacts
/// spec §2): the server's artifact proxy (<c>mlflow-artifacts:</c>, <c>http(s):</c>) or a local directory
/// (<c>file:</c>, plain paths). Object stores (s3:, gs:, ...) would need their own SDK and are refused.
/// </summary>
public abstract record ArtifactLocation
{
    /// <summary>Proxy: <paramref name="ProxyBase"/> is <c>.../api/2.0/mlflow-artifacts/artifacts</c>,
    /// <paramref name="RelativePath"/> the path under the artifacts destination.</summary>
    public sealed record Proxy(Uri ProxyBase, string RelativePath) : ArtifactLocation;

    public sealed record Local(string Directory) : ArtifactLocation;

    private const string Anchor = "/api/2.0/mlflow-artifacts/artifacts";

    public static ArtifactLocation Resolve(string artifactUri, Uri trackingUri)
    {
        if (artifactUri.StartsWith("mlflow-artifacts:", StringComparison.OrdinalIgnoreCase))
        {
            var rest = artifactUri["mlflow-artifacts:".Length..];
            var authority = trackingUri.GetLeftPart(UriPartial.Authority);
            if (rest.StartsWith("//", StringComparison.Ordinal))
            {
                // mlflow-artifacts://host:port/path: the bytes are on that host, with the tracking URI's scheme.
                var slash = rest.IndexOf('/', 2);
                var host = slash < 0 ? rest[2..] : rest[2..slash];
                authority = $"{trackingUri.Scheme}://{host}";
                rest = slash < 0 ? "" : rest[slash..];
            }
            var trackingPath = trackingUri.AbsolutePath.TrimEnd('/');
            return new Proxy(new Uri(authority + trackingPath + Anchor), rest.Trim('/'));
        }
        if (artifactUri.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || artifactUri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            var uri = new Uri(artifactUri);
            var index = uri.AbsolutePath.IndexOf(Anchor, StringComparison.Ordinal);
            if (index < 0)
            {
                throw new NotSupportedException($"HTTP artifact URI '{artifactUri}' does not contain '{Anchor}'.");
            }
            var baseUri = new Uri(uri.GetLeftPart(UriPartial.Authority) + uri.AbsolutePath[..(index + Anchor.Length)]);
            var rel = Uri.UnescapeDataString(uri.AbsolutePath[(index + Anchor.Length)..]).Trim('/');
            return new Proxy(baseUri, rel);
        }
        if (artifactUri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return new Local(new Uri(artifactUri).LocalPath);
        }
        if (!artifactUri.Contains("://", StringComparison.Ordinal) && Path.IsPathRooted(artifactUri))
        {
            return new Local(artifactUri);
        }
        throw new NotSupportedException(
            $"Artifact URI '{artifactUri}' uses a storage the .NET client does not access directly; " +
            "start the server with artifact proxying (default root mlflow-artifacts:/).");
    }
}
