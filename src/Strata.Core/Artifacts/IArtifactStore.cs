namespace Strata.Core.Artifacts;

/// <summary>
/// Byte storage behind the artifact proxy. Every path is a relative path that has already passed
/// <see cref="ArtifactPath.Validate"/> ("" is the store root); implementations may check again but
/// never trust it blindly for containment. All transfers stream: no implementation buffers a whole file.
/// </summary>
public interface IArtifactStore
{
    /// <summary>A human-readable description of where the bytes live (for logs and errors).</summary>
    string Location { get; }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/>, replacing an existing file.
    /// The file becomes visible only once complete: a failed or cancelled upload leaves nothing behind.
    /// </summary>
    Task UploadAsync(string path, Stream content, CancellationToken ct);

    /// <summary>
    /// Copies the file (or the given byte range of it) to <paramref name="destination"/>.
    /// Throws RESOURCE_DOES_NOT_EXIST when there is no file at the path.
    /// </summary>
    Task DownloadAsync(string path, Stream destination, ByteRange? range, CancellationToken ct);

    /// <summary>Whether the path is a file, a directory, or absent (null).</summary>
    Task<ArtifactStat?> StatAsync(string path, CancellationToken ct);

    /// <summary>
    /// The direct children of a directory, sorted by name (ordinal). Null when the path is absent
    /// or is a file; an existing empty directory gives an empty list.
    /// </summary>
    Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string directory, CancellationToken ct);

    /// <summary>Deletes a file, or a directory and everything below it. Absent paths are not an error.</summary>
    Task DeleteAsync(string path, CancellationToken ct);

    /// <summary>False when the multipart methods below throw NOT_IMPLEMENTED.</summary>
    bool SupportsMultipart { get; }

    /// <summary>Starts a multipart upload of the file at <paramref name="path"/>; returns its upload id.</summary>
    Task<string> CreateMultipartUploadAsync(string path, CancellationToken ct);

    /// <summary>Stores one part (numbered from 1) and returns its ETag. Uploading a part number again replaces it.</summary>
    Task<string> UploadPartAsync(string path, string uploadId, int partNumber, Stream content, CancellationToken ct);

    /// <summary>Joins the listed parts in order into the file, which then becomes visible at once.</summary>
    Task CompleteMultipartUploadAsync(string path, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken ct);

    /// <summary>Discards the upload and its parts. Unknown upload ids are not an error.</summary>
    Task AbortMultipartUploadAsync(string path, string uploadId, CancellationToken ct);
}
