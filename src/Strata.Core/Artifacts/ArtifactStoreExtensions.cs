using System.IO.Pipelines;

namespace Strata.Core.Artifacts;

public static class ArtifactStoreExtensions
{
    /// <summary>Uploads from a pipe (e.g. Kestrel's request <c>BodyReader</c>) through the store's streaming upload.</summary>
    public static async Task UploadAsync(this IArtifactStore store, string path, PipeReader content, CancellationToken ct)
    {
        await using var stream = content.AsStream(leaveOpen: true);
        await store.UploadAsync(path, stream, ct);
    }
}
