using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Core.Traces;
using Strata.Storage.Artifacts;

namespace Strata.Storage.Traces;

/// <summary>
/// Trace span data through the same resolution as run artifacts: <c>mlflow-artifacts:</c> locations map onto the
/// artifact proxy's store, other URIs (<c>s3://</c>, <c>file:</c>) are opened directly.
/// </summary>
public sealed class TraceArtifacts(ArtifactLocationResolver resolver) : ITraceArtifacts
{
    public async Task<byte[]?> ReadSpansFileAsync(string artifactLocation, CancellationToken ct)
    {
        using var location = resolver.Resolve(artifactLocation, TraceKeys.SpansFile);
        if (await location.Store.StatAsync(location.Path, ct).ConfigureAwait(false) is not { IsDirectory: false })
        {
            return null;
        }

        using var buffer = new MemoryStream();
        try
        {
            await location.Store.DownloadAsync(location.Path, buffer, null, ct).ConfigureAwait(false);
        }
        catch (MlflowException ex) when (ex.Code == ErrorCode.RESOURCE_DOES_NOT_EXIST)
        {
            // Deleted between the stat and the read.
            return null;
        }

        return buffer.ToArray();
    }

    public async Task DeleteAsync(string artifactLocation, CancellationToken ct)
    {
        using var location = resolver.Resolve(artifactLocation);
        if (location.Path.Length == 0)
        {
            // A store's root: deleting it would take every artifact with it.
            throw MlflowException.InvalidParameter($"Refusing to delete trace artifacts at '{artifactLocation}': it is the root of an artifact store.");
        }

        await location.Store.DeleteAsync(location.Path, ct).ConfigureAwait(false);
    }
}
