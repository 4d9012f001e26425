namespace Strata.Core.Artifacts;

/// <summary>One child of a listed directory. <see cref="Size"/> is null for directories.</summary>
public sealed record ArtifactEntry(string Name, bool IsDirectory, long? Size);

/// <summary>What lives at a path. <see cref="Length"/> is 0 for directories.</summary>
public sealed record ArtifactStat(bool IsDirectory, long Length);

/// <summary>A satisfiable byte range of a file: <paramref name="Offset"/> ≥ 0 and <paramref name="Length"/> ≥ 1.</summary>
public readonly record struct ByteRange(long Offset, long Length)
{
    public long LastByte => Offset + Length - 1;
}

/// <summary>A part named when completing a multipart upload.</summary>
public sealed record UploadedPart(int PartNumber, string ETag);
