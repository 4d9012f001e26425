using Strata.Core.Artifacts;

namespace Strata.Storage.Artifacts;

/// <summary>A path in an artifact store; disposing releases the store when it was opened for this location only.</summary>
public sealed record ArtifactLocation(IArtifactStore Store, string Path, bool OwnsStore) : IDisposable
{
    public void Dispose()
    {
        if (OwnsStore && Store is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }
}
