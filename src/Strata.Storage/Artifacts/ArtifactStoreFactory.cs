using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Storage.Artifacts;

/// <summary>
/// Chooses an artifact store from a location: <c>s3://bucket/prefix</c> gives an
/// <see cref="S3ArtifactStore"/>, a <c>file:</c> URI or a plain path a <see cref="LocalArtifactStore"/>.
/// </summary>
public sealed class ArtifactStoreFactory(Func<string, string?> environment, bool syncLocalWrites = true)
{
    /// <summary>A factory reading the process environment.</summary>
    public static ArtifactStoreFactory FromProcessEnvironment() => new(Environment.GetEnvironmentVariable);

    /// <summary>The store for an <c>--artifacts-destination</c> value (the root of the proxy).</summary>
    public IArtifactStore Create(string destination)
    {
        if (destination.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            return new S3ArtifactStore(S3ArtifactStoreOptions.FromUri(destination, environment));
        }

        return new LocalArtifactStore(new LocalArtifactStoreOptions { Root = LocalPath(destination), SyncOnWrite = syncLocalWrites });
    }

    /// <summary>
    /// A store and a path in it for an artifact URI that the server opens directly (not through the
    /// proxy), e.g. a run whose artifact_uri is <c>s3://b/0/r/artifacts</c> or <c>/data/0/r/artifacts</c>.
    /// A local location is addressed from its parent folder, so that deleting its path removes the folder itself.
    /// </summary>
    public ArtifactLocation Open(string artifactUri)
    {
        if (artifactUri.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var options = S3ArtifactStoreOptions.FromUri(artifactUri, environment);
            return new ArtifactLocation(new S3ArtifactStore(options with { Prefix = "" }), ArtifactPath.Validate(options.Prefix), OwnsStore: true);
        }

        var full = Path.TrimEndingDirectorySeparator(LocalPath(artifactUri));
        var parent = Path.GetDirectoryName(full);
        if (parent is null)
        {
            return new ArtifactLocation(new LocalArtifactStore(new LocalArtifactStoreOptions { Root = full, SyncOnWrite = syncLocalWrites }), "", OwnsStore: true);
        }

        var store = new LocalArtifactStore(new LocalArtifactStoreOptions { Root = parent, SyncOnWrite = syncLocalWrites });
        return new ArtifactLocation(store, ArtifactPath.Validate(Path.GetFileName(full)), OwnsStore: true);
    }

    private static string LocalPath(string location)
    {
        if (location.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || !uri.IsFile)
            {
                throw MlflowException.InvalidParameter($"Invalid file URI '{location}'");
            }

            return Path.GetFullPath(uri.LocalPath);
        }

        var colon = location.IndexOf(':');
        if (colon > 1 && !location[..colon].Contains('/'))
        {
            throw MlflowException.InvalidParameter($"Unsupported artifact location scheme '{location[..colon]}' in '{location}'");
        }

        return Path.GetFullPath(location);
    }
}
