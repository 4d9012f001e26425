namespace Strata.Storage.Artifacts;

public sealed record LocalArtifactStoreOptions
{
    /// <summary>The destination folder. It is created on the first write.</summary>
    public required string Root { get; init; }

    /// <summary>
    /// fsync each uploaded file before renaming it into place, so an acknowledged upload survives a
    /// power loss, not only a process crash. Costs throughput on slow disks.
    /// </summary>
    public bool SyncOnWrite { get; init; } = true;

    /// <summary>Size of the copy buffer for uploads and downloads.</summary>
    public int BufferSize { get; init; } = 1 << 20;
}
