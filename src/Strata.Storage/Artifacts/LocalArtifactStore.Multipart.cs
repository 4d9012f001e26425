using System.Globalization;
using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Storage.Artifacts;

/// <summary>
/// Multipart uploads on disk: each upload is a folder <c>.tmp/mpu/&lt;upload id&gt;</c> holding the target
/// path and one file per part named <c>&lt;part number&gt;.&lt;etag&gt;</c>. Completing joins the parts into a
/// temporary file and renames it into place like a single upload.
/// </summary>
public sealed partial class LocalArtifactStore
{
    private const string MultipartFolderName = "mpu";
    private const string TargetFileName = "target";
    private const int MaxPartNumber = 10_000;

    public async Task<string> CreateMultipartUploadAsync(string path, CancellationToken ct)
    {
        ResolveFile(path);
        var uploadId = Guid.NewGuid().ToString("N");
        var folder = UploadFolder(uploadId);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Join(folder, TargetFileName), ArtifactPath.Validate(path), ct);
        return uploadId;
    }

    public async Task<string> UploadPartAsync(string path, string uploadId, int partNumber, Stream content, CancellationToken ct)
    {
        if (partNumber is < 1 or > MaxPartNumber)
        {
            throw MlflowException.InvalidParameter($"Invalid part_number {partNumber}: must be between 1 and {MaxPartNumber}");
        }

        var folder = await OpenUploadAsync(path, uploadId, ct);
        var etag = Guid.NewGuid().ToString("N");
        var temp = Path.Join(folder, etag + ".partial");
        try
        {
            await using (var file = OpenTempForWrite(temp))
            {
                await CopyAsync(content, file, long.MaxValue, ct);
                await FinishWriteAsync(file, ct);
            }

            foreach (var previous in PartFiles(folder, partNumber))
            {
                TryDeleteFile(previous);
            }

            File.Move(temp, Path.Join(folder, PartFileName(partNumber, etag)));
            return etag;
        }
        catch
        {
            TryDeleteFile(temp);
            throw;
        }
    }

    public async Task CompleteMultipartUploadAsync(string path, string uploadId, IReadOnlyList<UploadedPart> parts, CancellationToken ct)
    {
        var folder = await OpenUploadAsync(path, uploadId, ct);
        if (parts.Count == 0)
        {
            throw MlflowException.InvalidParameter("Invalid parts: a multipart upload needs at least one part");
        }

        var ordered = parts.OrderBy(p => p.PartNumber).ToList();
        var sources = new List<string>(ordered.Count);
        for (var i = 0; i < ordered.Count; i++)
        {
            var part = ordered[i];
            if (i > 0 && ordered[i - 1].PartNumber == part.PartNumber)
            {
                throw MlflowException.InvalidParameter($"Invalid parts: part {part.PartNumber} is listed twice");
            }

            var file = Path.Join(folder, PartFileName(part.PartNumber, part.ETag.Trim('"')));
            if (!IsPlainName(part.ETag.Trim('"')) || !File.Exists(file))
            {
                throw MlflowException.InvalidParameter($"Invalid parts: part {part.PartNumber} with etag {part.ETag} was not uploaded");
            }

            sources.Add(file);
        }

        var target = ResolveFile(path);
        var temp = NewTempFile();
        try
        {
            await using (var output = OpenTempForWrite(temp))
            {
                foreach (var source in sources)
                {
                    await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    await CopyAsync(input, output, long.MaxValue, ct);
                }

                await FinishWriteAsync(output, ct);
            }

            MoveIntoPlace(temp, path, target);
        }
        catch
        {
            TryDeleteFile(temp);
            throw;
        }

        DeleteUploadFolder(folder);
    }

    public async Task AbortMultipartUploadAsync(string path, string uploadId, CancellationToken ct)
    {
        string folder;
        try
        {
            folder = await OpenUploadAsync(path, uploadId, ct);
        }
        catch (MlflowException e) when (e.Code == ErrorCode.RESOURCE_DOES_NOT_EXIST)
        {
            return;
        }

        DeleteUploadFolder(folder);
    }

    /// <summary>The upload's folder, after checking the id and that the upload targets this path.</summary>
    private async Task<string> OpenUploadAsync(string path, string uploadId, CancellationToken ct)
    {
        var normalized = ArtifactPath.Validate(path);
        ResolveFile(normalized);
        if (uploadId.Length != 32 || !uploadId.All(char.IsAsciiHexDigitLower))
        {
            throw MlflowException.InvalidParameter($"Invalid upload_id '{uploadId}'");
        }

        var folder = UploadFolder(uploadId);
        string target;
        try
        {
            target = await File.ReadAllTextAsync(Path.Join(folder, TargetFileName), ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw MlflowException.NotFound($"Multipart upload '{uploadId}' does not exist");
        }

        if (target != normalized)
        {
            throw MlflowException.InvalidParameter($"Multipart upload '{uploadId}' is for another path");
        }

        return folder;
    }

    private string UploadFolder(string uploadId) => Path.Join(_tempFolder, MultipartFolderName, uploadId);

    private static string PartFileName(int partNumber, string etag) =>
        partNumber.ToString(CultureInfo.InvariantCulture) + "." + etag;

    private static IEnumerable<string> PartFiles(string folder, int partNumber) =>
        Directory.EnumerateFiles(folder, partNumber.ToString(CultureInfo.InvariantCulture) + ".*")
            .Where(f => !f.EndsWith(".partial", StringComparison.Ordinal));

    private static bool IsPlainName(string etag) => etag.Length > 0 && etag.All(char.IsAsciiLetterOrDigit);

    private static void DeleteUploadFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
