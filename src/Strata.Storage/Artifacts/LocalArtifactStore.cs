using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Storage.Artifacts;

/// <summary>
/// Artifacts in a local folder. Uploads are written to <c>&lt;root&gt;/.tmp/&lt;guid&gt;</c> and renamed
/// into place, so a reader never sees a half-written file. Besides <see cref="ArtifactPath"/>, every
/// path is resolved through its symbolic links and must still lie under the canonical root.
/// </summary>
public sealed partial class LocalArtifactStore : IArtifactStore
{
    /// <summary>Work area for uploads in flight; never listed, never addressable by clients.</summary>
    public const string TempFolderName = ".tmp";

    private readonly LocalArtifactStoreOptions _options;
    private readonly string _root;
    private readonly string _tempFolder;

    public LocalArtifactStore(LocalArtifactStoreOptions options)
    {
        _options = options;
        _root = CanonicalPath.Resolve(Path.GetFullPath(options.Root));
        _tempFolder = Path.Join(_root, TempFolderName);
    }

    public string Location => _root;

    public bool SupportsMultipart => true;

    public async Task UploadAsync(string path, Stream content, CancellationToken ct)
    {
        var target = ResolveFile(path);
        var temp = Path.Join(_tempFolder, Guid.NewGuid().ToString("N"));
        try
        {
            await WriteTempAsync(temp, content, ct);
            MoveIntoPlace(temp, path, target);
        }
        catch
        {
            TryDeleteFile(temp);
            throw;
        }
    }

    public async Task DownloadAsync(string path, Stream destination, ByteRange? range, CancellationToken ct)
    {
        var full = Resolve(path);
        FileStream source;
        try
        {
            source = new FileStream(full, new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                BufferSize = 0,
                Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
        {
            throw NotFound(path);
        }

        await using (source)
        {
            var remaining = long.MaxValue;
            if (range is { } r)
            {
                source.Seek(r.Offset, SeekOrigin.Begin);
                remaining = r.Length;
            }

            await CopyAsync(source, destination, remaining, ct);
        }
    }

    public Task<ArtifactStat?> StatAsync(string path, CancellationToken ct)
    {
        var full = Resolve(path);
        ArtifactStat? stat = null;
        if (File.Exists(full))
        {
            stat = new ArtifactStat(false, new FileInfo(full).Length);
        }
        else if (Directory.Exists(full))
        {
            stat = new ArtifactStat(true, 0);
        }

        return Task.FromResult(stat);
    }

    public Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string directory, CancellationToken ct)
    {
        var full = Resolve(directory);
        if (!Directory.Exists(full))
        {
            return Task.FromResult<IReadOnlyList<ArtifactEntry>?>(null);
        }

        var atRoot = ArtifactPath.Validate(directory).Length == 0;
        var entries = new List<ArtifactEntry>();
        foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos())
        {
            ct.ThrowIfCancellationRequested();
            if (atRoot && info.Name == TempFolderName)
            {
                continue;
            }

            if (info.LinkTarget is not null && !CanonicalPath.IsUnder(CanonicalPath.Resolve(info.FullName), _root))
            {
                continue; // a link leading out of the root is treated as if it were not there
            }

            if (Directory.Exists(info.FullName))
            {
                entries.Add(new ArtifactEntry(info.Name, true, null));
            }
            else if (File.Exists(info.FullName))
            {
                entries.Add(new ArtifactEntry(info.Name, false, new FileInfo(info.FullName).Length));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return Task.FromResult<IReadOnlyList<ArtifactEntry>?>(entries);
    }

    public Task DeleteAsync(string path, CancellationToken ct)
    {
        var normalized = ArtifactPath.Validate(path);
        var full = Resolve(normalized);
        if (normalized.Length == 0)
        {
            // The root itself stays; everything in it but uploads in flight goes.
            if (Directory.Exists(full))
            {
                foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos())
                {
                    if (info.Name != TempFolderName)
                    {
                        DeleteEntry(Path.Join(full, info.Name));
                    }
                }
            }

            return Task.CompletedTask;
        }

        // A link is deleted itself, not what it points to (the check above followed it).
        DeleteEntry(full);
        return Task.CompletedTask;
    }

    /// <summary>Removes temporary files older than <paramref name="age"/> left by a process that died mid-upload.</summary>
    public int SweepStaleTemporaryFiles(TimeSpan age)
    {
        if (!Directory.Exists(_tempFolder))
        {
            return 0;
        }

        var cutoff = DateTime.UtcNow - age;
        var removed = 0;
        foreach (var file in new DirectoryInfo(_tempFolder).EnumerateFiles("*", SearchOption.AllDirectories))
        {
            if (file.LastWriteTimeUtc < cutoff && TryDeleteFile(file.FullName))
            {
                removed++;
            }
        }

        foreach (var dir in new DirectoryInfo(_tempFolder).EnumerateDirectories("*", SearchOption.AllDirectories).OrderByDescending(d => d.FullName.Length))
        {
            if (dir.LastWriteTimeUtc < cutoff && !dir.EnumerateFileSystemInfos().Any())
            {
                try
                {
                    dir.Delete();
                }
                catch (IOException)
                {
                    // Someone started using it again.
                }
            }
        }

        return removed;
    }

    /// <summary>
    /// The canonical full path of a relative artifact path. Throws "Invalid path" when the path is
    /// unsafe, names the temporary area, or leads (through links) out of the root.
    /// </summary>
    private string Resolve(string path)
    {
        var normalized = ArtifactPath.Validate(path);
        if (normalized == TempFolderName || normalized.StartsWith(TempFolderName + "/", StringComparison.Ordinal))
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }

        var full = Path.GetFullPath(Path.Join(_root, normalized));
        if (!CanonicalPath.IsUnder(full, _root) || !CanonicalPath.IsUnder(CanonicalPath.ResolveBelow(_root, full), _root))
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }

        return full;
    }

    private string ResolveFile(string path)
    {
        if (ArtifactPath.Validate(path).Length == 0)
        {
            throw MlflowException.InvalidParameter(ArtifactPath.InvalidPathMessage);
        }

        return Resolve(path);
    }

    private string NewTempFile()
    {
        Directory.CreateDirectory(_tempFolder);
        return Path.Join(_tempFolder, Guid.NewGuid().ToString("N"));
    }

    /// <summary>
    /// Copies an upload into a new temporary file. The writes are synchronous: they only copy into the page cache, where
    /// FileStream's asynchronous writes on Linux each hop to the thread pool, a cost paid per request for small files.
    /// </summary>
    private async Task WriteTempAsync(string temp, Stream content, CancellationToken ct)
    {
        using var handle = OpenTempHandle(temp);
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        try
        {
            long offset = 0;
            int read;
            while ((read = await content.ReadAsync(buffer, ct)) > 0)
            {
                RandomAccess.Write(handle, buffer.AsSpan(0, read), offset);
                offset += read;
            }

            if (_options.SyncOnWrite)
            {
                RandomAccess.FlushToDisk(handle);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private SafeFileHandle OpenTempHandle(string temp)
    {
        try
        {
            return File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
        catch (IOException e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            // The work area is created on the first upload (and again if someone removed it), not checked on every one.
            // CreateNew cannot miss the file itself: a FileNotFoundException means the same missing folder, reported so
            // when another upload created the folder between this open failing and .NET looking at why.
            Directory.CreateDirectory(_tempFolder);
            return File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        }
    }

    private FileStream OpenTempForWrite(string temp) => new(temp, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        BufferSize = 0,
        Options = FileOptions.Asynchronous,
    });

    private async Task FinishWriteAsync(FileStream file, CancellationToken ct)
    {
        await file.FlushAsync(ct);
        if (_options.SyncOnWrite)
        {
            file.Flush(flushToDisk: true);
        }
    }

    /// <summary>Renames a completed temporary file onto the artifact path (atomic on one file system).</summary>
    private void MoveIntoPlace(string temp, string path, string target)
    {
        var parent = Path.GetDirectoryName(target)!;
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (IOException)
        {
            throw MlflowException.InvalidParameter($"Cannot write artifact '{path}': a parent of it is a file");
        }

        // Directories created just now may have raced with a link swap; check the final place again.
        var checkedTarget = Resolve(path);
        if (Directory.Exists(checkedTarget))
        {
            throw MlflowException.InvalidParameter($"Cannot write artifact '{path}': a directory of that name exists");
        }

        File.Move(temp, checkedTarget, overwrite: true);
        if (_options.SyncOnWrite)
        {
            SyncDirectory(parent);
        }
    }

    private static void SyncDirectory(string directory)
    {
        // Makes the rename itself durable. Opening a directory for reading is allowed on Linux; on
        // systems where it is not, the rename is still atomic, only its durability is weaker.
        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private async Task CopyAsync(Stream source, Stream destination, long limit, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        try
        {
            var remaining = limit;
            while (remaining > 0)
            {
                var want = (int)Math.Min(buffer.Length, remaining);
                var read = await source.ReadAsync(buffer.AsMemory(0, want), ct);
                if (read == 0)
                {
                    break;
                }

                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
                remaining -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void DeleteEntry(string full)
    {
        if (CanonicalPath.ReadLink(full) is not null || File.Exists(full))
        {
            TryDeleteFile(full);
        }
        else if (Directory.Exists(full))
        {
            try
            {
                Directory.Delete(full, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
                // Deleted concurrently: the outcome is the one asked for.
            }
        }
    }

    private static bool TryDeleteFile(string file)
    {
        try
        {
            File.Delete(file);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static MlflowException NotFound(string path) =>
        MlflowException.NotFound($"No artifact found at '{path}'");
}
