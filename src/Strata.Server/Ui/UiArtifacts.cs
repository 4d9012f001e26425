using System.Text;
using Microsoft.Extensions.Options;
using Strata.Core.Artifacts;
using Strata.Core.Errors;
using Strata.Server.Artifacts;
using Strata.Storage.Artifacts;

namespace Strata.Server.Ui;

/// <summary>What the artifact browser shows of one file: its kind and, for text kinds, the first bytes as text.</summary>
public sealed record ArtifactPreview(string Path, ArtifactPreviewKind Kind, long Length, string? Text, bool Truncated);

public enum ArtifactPreviewKind
{
    Text,
    Json,
    Yaml,
    Csv,
    Image,
    Binary,
}

/// <summary>
/// The artifact browser's reads: lists and previews of a run's artifacts through the same resolver as the REST
/// routes (proxy destination or the run's own storage). Previews read at most <see cref="MaxPreviewBytes"/>, so a
/// large file never lands in memory; images are shown through the existing <c>/get-artifact</c> download route.
/// </summary>
public sealed class UiArtifacts(ArtifactLocationResolver resolver, IOptions<ArtifactsOptions> options)
{
    public const int MaxPreviewBytes = 256 * 1024;

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".txt", ".log", ".md", ".py", ".cs", ".sh", ".ini", ".cfg", ".toml", ".xml", ".html", ".sql", ".r", ".ipynb",
    };

    private static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".gif", ".svg", ".bmp", ".webp",
    };

    /// <summary>The entries of a folder (null when absent), folders first, then files, each sorted by name.</summary>
    public async Task<IReadOnlyList<ArtifactEntry>?> ListAsync(string rootUri, string path, CancellationToken ct)
    {
        using var location = Resolve(rootUri, path);
        var entries = await location.Store.ListAsync(location.Path, ct).ConfigureAwait(false);
        return entries?.OrderBy(e => !e.IsDirectory).ThenBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    public async Task<ArtifactStat?> StatAsync(string rootUri, string path, CancellationToken ct)
    {
        using var location = Resolve(rootUri, path);
        return await location.Store.StatAsync(location.Path, ct).ConfigureAwait(false);
    }

    /// <summary>A preview of the file at <paramref name="path"/>; RESOURCE_DOES_NOT_EXIST when there is none.</summary>
    public async Task<ArtifactPreview> PreviewAsync(string rootUri, string path, CancellationToken ct)
    {
        using var location = Resolve(rootUri, path);
        var stat = await location.Store.StatAsync(location.Path, ct).ConfigureAwait(false);
        if (stat is null || stat.IsDirectory)
        {
            throw MlflowException.NotFound($"No artifact file found at '{path}'");
        }

        var kind = KindOf(path);
        if (kind is ArtifactPreviewKind.Image)
        {
            return new ArtifactPreview(path, kind, stat.Length, null, false);
        }

        var length = (int)Math.Min(stat.Length, MaxPreviewBytes);
        using var buffer = new MemoryStream(length);
        if (length > 0)
        {
            await location.Store.DownloadAsync(location.Path, buffer, new ByteRange(0, length), ct).ConfigureAwait(false);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (kind is ArtifactPreviewKind.Binary && LooksBinary(bytes))
        {
            return new ArtifactPreview(path, kind, stat.Length, null, false);
        }

        if (kind is ArtifactPreviewKind.Binary)
        {
            kind = ArtifactPreviewKind.Text;
        }

        return new ArtifactPreview(path, kind, stat.Length, Encoding.UTF8.GetString(bytes), stat.Length > length);
    }

    public static ArtifactPreviewKind KindOf(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        if (name is "MLmodel" or "MLproject")
        {
            return ArtifactPreviewKind.Yaml;
        }

        var ext = System.IO.Path.GetExtension(name);
        return ext.ToLowerInvariant() switch
        {
            ".json" => ArtifactPreviewKind.Json,
            ".yaml" or ".yml" => ArtifactPreviewKind.Yaml,
            ".csv" or ".tsv" => ArtifactPreviewKind.Csv,
            _ when ImageExtensions.Contains(ext) => ArtifactPreviewKind.Image,
            _ when TextExtensions.Contains(ext) => ArtifactPreviewKind.Text,
            _ => ArtifactPreviewKind.Binary,
        };
    }

    private static bool LooksBinary(ReadOnlySpan<byte> bytes) => bytes[..Math.Min(bytes.Length, 8000)].Contains((byte)0);

    private ArtifactLocation Resolve(string rootUri, string path)
    {
        if (!options.Value.ServeArtifacts && ArtifactUri.IsProxied(rootUri))
        {
            throw MlflowException.InvalidParameter(
                $"The artifacts at '{rootUri}' are served by the artifact proxy, which is disabled on this server (--no-serve-artifacts).");
        }

        return resolver.Resolve(rootUri, ArtifactPath.Validate(path));
    }
}
