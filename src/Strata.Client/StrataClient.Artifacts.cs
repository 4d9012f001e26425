using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Strata.Client.Artifacts;
using Strata.Client.Http;
using Strata.Client.Wire;

namespace Strata.Client;

public sealed partial class StrataClient
{
    // A run's artifact URI never changes, so one lookup per run is enough.
    private readonly ConcurrentDictionary<string, string> _runArtifactUris = new(StringComparer.Ordinal);

    /// <summary>Listing through the tracking API: paths relative to the run's artifact root.</summary>
    public async Task<ArtifactListing> ListArtifactsAsync(string runId, string? path = null, CancellationToken ct = default)
    {
        var normalized = ArtifactPaths.Normalize(path);
        var files = new List<ArtifactFileInfo>();
        string? root = null;
        string? token = null;
        do
        {
            var response = await GetAsync<ListArtifactsResponse>(
                "artifacts/list",
                new Query().Add("run_id", runId).Add("path", normalized.Length == 0 ? null : normalized).Add("page_token", token),
                ct).ConfigureAwait(false);
            root ??= response.RootUri;
            files.AddRange(response.Files?.Select(f => f.ToCore()) ?? []);
            token = NullIfEmpty(response.NextPageToken);
        }
        while (token is not null);
        return new ArtifactListing(root ?? "", files);
    }

    /// <summary>Streams <paramref name="content"/> to <c>&lt;run artifacts&gt;/&lt;artifactPath&gt;</c> without buffering it.
    /// Retried on transient errors only when the stream can seek back to its start.</summary>
    public async Task UploadArtifactAsync(string runId, string artifactPath, Stream content, CancellationToken ct = default) =>
        await UploadArtifactToUriAsync(await RunArtifactUriAsync(runId, ct).ConfigureAwait(false), artifactPath, content, ct)
            .ConfigureAwait(false);

    /// <summary>Uploads one local file to <c>&lt;artifactDirectory&gt;/&lt;file name&gt;</c> of the run.</summary>
    public async Task LogArtifactFileAsync(string runId, string localPath, string? artifactDirectory = null, CancellationToken ct = default)
    {
        var target = ArtifactPaths.Join(ArtifactPaths.Normalize(artifactDirectory, nameof(artifactDirectory)), Path.GetFileName(localPath));
        await using var file = OpenRead(localPath);
        await UploadArtifactAsync(runId, target, file, ct).ConfigureAwait(false);
    }

    /// <summary>Uploads every file under <paramref name="localDirectory"/>, keeping the relative layout.</summary>
    public async Task LogArtifactDirectoryAsync(
        string runId, string localDirectory, string? artifactDirectory = null, CancellationToken ct = default) =>
        await UploadDirectoryToUriAsync(await RunArtifactUriAsync(runId, ct).ConfigureAwait(false), localDirectory, artifactDirectory, ct)
            .ConfigureAwait(false);

    public async Task DownloadArtifactAsync(string runId, string artifactPath, Stream destination, CancellationToken ct = default) =>
        await DownloadArtifactFromUriAsync(await RunArtifactUriAsync(runId, ct).ConfigureAwait(false), artifactPath, destination, ct)
            .ConfigureAwait(false);

    /// <summary>Downloads a file or a whole directory of the run into <paramref name="localDirectory"/>; returns the local path.</summary>
    public async Task<string> DownloadArtifactsAsync(string runId, string? artifactPath, string localDirectory, CancellationToken ct = default) =>
        await DownloadArtifactsFromUriAsync(await RunArtifactUriAsync(runId, ct).ConfigureAwait(false), artifactPath, localDirectory, ct)
            .ConfigureAwait(false);

    public async Task DeleteArtifactAsync(string runId, string artifactPath, CancellationToken ct = default) =>
        await DeleteArtifactAtUriAsync(await RunArtifactUriAsync(runId, ct).ConfigureAwait(false), artifactPath, ct).ConfigureAwait(false);

    // ---- URI-level operations: used for runs, logged models (artifact_uri) and model versions (download URI).

    public async Task UploadArtifactToUriAsync(string artifactUri, string artifactPath, Stream content, CancellationToken ct = default)
    {
        var path = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        if (path.Length == 0)
        {
            throw new ArgumentException("An artifact path naming the file is required.", nameof(artifactPath));
        }
        switch (ArtifactLocation.Resolve(artifactUri, _baseUri))
        {
            case ArtifactLocation.Proxy proxy:
                using (var request = NewRequest(HttpMethod.Put, ProxyUri(proxy, path), idempotent: content.CanSeek))
                {
                    StrataRetryPolicy.MarkUnbounded(request);
                    request.Content = new StreamContent(content, 81920);
                    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
                    await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                }
                break;
            case ArtifactLocation.Local local:
                var target = LocalPath(local, path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                var temp = target + ".tmp-" + Guid.NewGuid().ToString("N");
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
                {
                    await content.CopyToAsync(file, ct).ConfigureAwait(false);
                }
                File.Move(temp, target, overwrite: true);
                break;
        }
    }

    public async Task UploadDirectoryToUriAsync(
        string artifactUri, string localDirectory, string? artifactDirectory = null, CancellationToken ct = default)
    {
        var prefix = ArtifactPaths.Normalize(artifactDirectory, nameof(artifactDirectory));
        foreach (var file in Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(localDirectory, file).Replace(Path.DirectorySeparatorChar, '/');
            await using var stream = OpenRead(file);
            await UploadArtifactToUriAsync(artifactUri, ArtifactPaths.Join(prefix, relative), stream, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Streams one artifact file into <paramref name="destination"/> (never buffered whole).</summary>
    public async Task DownloadArtifactFromUriAsync(string artifactUri, string artifactPath, Stream destination, CancellationToken ct = default)
    {
        var path = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        switch (ArtifactLocation.Resolve(artifactUri, _baseUri))
        {
            case ArtifactLocation.Proxy proxy:
                using (var request = NewRequest(HttpMethod.Get, ProxyUri(proxy, path), idempotent: true))
                {
                    StrataRetryPolicy.MarkUnbounded(request);
                    using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
                    await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                    await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    await body.CopyToAsync(destination, ct).ConfigureAwait(false);
                }
                break;
            case ArtifactLocation.Local local:
                await using (var file = OpenRead(LocalPath(local, path)))
                {
                    await file.CopyToAsync(destination, ct).ConfigureAwait(false);
                }
                break;
        }
    }

    /// <summary>Lists one directory under an artifact URI. Paths in the result are relative to <paramref name="artifactUri"/>.</summary>
    public async Task<IReadOnlyList<ArtifactFileInfo>> ListArtifactsAtUriAsync(string artifactUri, string? path = null, CancellationToken ct = default)
    {
        var rel = ArtifactPaths.Normalize(path);
        switch (ArtifactLocation.Resolve(artifactUri, _baseUri))
        {
            case ArtifactLocation.Proxy proxy:
                var full = ArtifactPaths.Join(proxy.RelativePath, rel);
                using (var request = NewRequest(HttpMethod.Get, new Uri(proxy.ProxyBase + new Query().Add("path", full).ToString()), idempotent: true))
                {
                    using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
                    await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                    var listing = await ReadJsonAsync<ListArtifactsResponse>(response, ct).ConfigureAwait(false);
                    // The proxy answers base names; re-check each before joining (a hostile server must not steer us out).
                    return listing.Files?.Select(f =>
                    {
                        var name = ArtifactPaths.Normalize(f.Path, "files[].path");
                        return new ArtifactFileInfo(ArtifactPaths.Join(rel, name), f.IsDir ?? false, f.FileSize);
                    }).ToList() ?? [];
                }
            case ArtifactLocation.Local local:
                var dir = LocalPath(local, rel);
                if (!Directory.Exists(dir))
                {
                    return [];
                }
                return new DirectoryInfo(dir).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal)
                    .Select(i => new ArtifactFileInfo(
                        ArtifactPaths.Join(rel, i.Name), i is DirectoryInfo, i is FileInfo f && f.Length > 0 ? f.Length : null))
                    .ToList();
            default:
                return [];
        }
    }

    /// <summary>Downloads a file or directory (recursively) under an artifact URI into a local directory; returns the local path.</summary>
    public async Task<string> DownloadArtifactsFromUriAsync(
        string artifactUri, string? artifactPath, string localDirectory, CancellationToken ct = default)
    {
        var rel = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        var entries = await ListArtifactsAtUriAsync(artifactUri, rel, ct).ConfigureAwait(false);
        var localTarget = rel.Length == 0 ? localDirectory : Path.Combine(localDirectory, rel.Replace('/', Path.DirectorySeparatorChar));
        if (entries.Count == 0)
        {
            if (rel.Length == 0)
            {
                Directory.CreateDirectory(localDirectory);
                return localDirectory; // an empty root
            }
            // An empty listing means a file (spec §2), or an empty/missing directory: the GET tells which.
            Directory.CreateDirectory(Path.GetDirectoryName(localTarget)!);
            var temp = localTarget + ".part";
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                await DownloadArtifactFromUriAsync(artifactUri, rel, file, ct).ConfigureAwait(false);
            }
            File.Move(temp, localTarget, overwrite: true);
            return localTarget;
        }
        Directory.CreateDirectory(localTarget);
        foreach (var entry in entries)
        {
            if (entry.IsDir)
            {
                await DownloadArtifactsFromUriAsync(artifactUri, entry.Path, localDirectory, ct).ConfigureAwait(false);
            }
            else
            {
                var filePath = Path.Combine(localDirectory, entry.Path.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(filePath)!);
                await using var file = new FileStream(filePath, FileMode.Create, FileAccess.Write, FileShare.None, 81920, useAsync: true);
                await DownloadArtifactFromUriAsync(artifactUri, entry.Path, file, ct).ConfigureAwait(false);
            }
        }
        return localTarget;
    }

    public async Task DeleteArtifactAtUriAsync(string artifactUri, string artifactPath, CancellationToken ct = default)
    {
        var path = ArtifactPaths.Normalize(artifactPath, nameof(artifactPath));
        switch (ArtifactLocation.Resolve(artifactUri, _baseUri))
        {
            case ArtifactLocation.Proxy proxy:
                using (var request = NewRequest(HttpMethod.Delete, ProxyUri(proxy, path), idempotent: false))
                {
                    using var response = await SendRawAsync(request, ct).ConfigureAwait(false);
                    await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
                }
                break;
            case ArtifactLocation.Local local:
                var target = LocalPath(local, path);
                if (Directory.Exists(target))
                {
                    Directory.Delete(target, recursive: true);
                }
                else if (File.Exists(target))
                {
                    File.Delete(target);
                }
                break;
        }
    }

    internal async Task<string> RunArtifactUriAsync(string runId, CancellationToken ct)
    {
        if (_runArtifactUris.TryGetValue(runId, out var uri))
        {
            return uri;
        }
        var run = await GetRunAsync(runId, ct).ConfigureAwait(false);
        return _runArtifactUris.GetOrAdd(runId, run.Info.ArtifactUri);
    }

    internal void RememberRunArtifactUri(string runId, string artifactUri) => _runArtifactUris.TryAdd(runId, artifactUri);

    private static Uri ProxyUri(ArtifactLocation.Proxy proxy, string path) =>
        new(proxy.ProxyBase.AbsoluteUri.TrimEnd('/') + "/" + ArtifactPaths.EncodeSegments(ArtifactPaths.Join(proxy.RelativePath, path)));

    private static string LocalPath(ArtifactLocation.Local local, string path)
    {
        var root = Path.GetFullPath(local.Directory);
        var full = Path.GetFullPath(Path.Combine(root, path.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(root, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Artifact path '{path}' escapes the artifact root.");
        }
        return full;
    }

    private static FileStream OpenRead(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
}
