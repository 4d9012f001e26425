using Strata.Core.Artifacts;

namespace Strata.Storage.Artifacts;

/// <summary>
/// Finds the store and path behind an artifact URI (a run's or logged model's root): proxy URIs
/// (<c>mlflow-artifacts:</c>, <c>http(s)://.../api/2.0/mlflow-artifacts/artifacts/...</c>) map onto the
/// artifacts destination; other URIs (<c>s3://</c>, <c>file:</c>, plain paths) are opened directly.
/// </summary>
public sealed class ArtifactLocationResolver(IArtifactStore proxyStore, ArtifactStoreFactory factory)
{
    /// <summary>The location of <paramref name="artifactUri"/> extended by the validated relative <paramref name="path"/>.</summary>
    public ArtifactLocation Resolve(string artifactUri, string path = "")
    {
        var relative = ArtifactPath.Validate(path);
        if (ArtifactUri.TryGetProxyPath(artifactUri, out var proxyPath))
        {
            return new ArtifactLocation(proxyStore, ArtifactPath.Join(proxyPath, relative), OwnsStore: false);
        }

        var direct = factory.Open(artifactUri);
        return direct with { Path = ArtifactPath.Join(direct.Path, relative) };
    }
}
