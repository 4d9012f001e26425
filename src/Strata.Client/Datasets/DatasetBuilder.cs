using System.Security.Cryptography;
using System.Text.Json;
using Strata.Core.Tracking;

namespace Strata.Client.Datasets;

/// <summary>One column of a dataset schema, in MLflow's <c>mlflow_colspec</c> form (type: double, float, long,
/// integer, boolean, string, binary, datetime).</summary>
public sealed record DatasetColumn(string Name, string Type, bool Required = true);

/// <summary>
/// Builds <see cref="Dataset"/> records the way MLflow describes datasets: a content digest, a source
/// (<c>{"uri": ...}</c> JSON) with its type, and a schema (<c>{"mlflow_colspec": [...]}</c>).
/// </summary>
public static class DatasetBuilder
{
    /// <summary>Digest length: MLflow caps it at 36 characters; 16 hex characters of SHA-256 identify content well.</summary>
    private const int DigestLength = 16;

    /// <summary>Describes a local file: streams it once to compute the digest (no full read into memory).</summary>
    public static async Task<Dataset> FromFileAsync(
        string path, string? name = null, IEnumerable<DatasetColumn>? schema = null, string? profile = null,
        CancellationToken ct = default)
    {
        var full = Path.GetFullPath(path);
        await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
        var digest = await DigestAsync(stream, ct).ConfigureAwait(false);
        return new Dataset(
            name ?? Path.GetFileNameWithoutExtension(full),
            digest,
            "local",
            JsonSerializer.Serialize(new Dictionary<string, string> { ["uri"] = new Uri(full).AbsoluteUri }),
            schema is null ? null : Schema(schema),
            profile);
    }

    /// <summary>Describes data at a URL (no download); the digest must be supplied by the caller.</summary>
    public static Dataset FromUri(Uri uri, string name, string digest, IEnumerable<DatasetColumn>? schema = null, string? profile = null) =>
        new(name, digest, uri.Scheme is "http" or "https" ? "http" : uri.Scheme,
            JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = uri.AbsoluteUri }),
            schema is null ? null : Schema(schema), profile);

    public static async Task<string> DigestAsync(Stream content, CancellationToken ct = default)
    {
        var hash = await SHA256.HashDataAsync(content, ct).ConfigureAwait(false);
        return Convert.ToHexStringLower(hash)[..DigestLength];
    }

    /// <summary>The schema JSON MLflow writes for tabular datasets.</summary>
    public static string Schema(IEnumerable<DatasetColumn> columns) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["mlflow_colspec"] = columns.Select(c => new Dictionary<string, object>
            {
                ["type"] = c.Type,
                ["name"] = c.Name,
                ["required"] = c.Required,
            }).ToList(),
        });

    /// <summary>A profile like MLflow's pandas one: <c>{"num_rows": N, "num_elements": N*cols}</c>.</summary>
    public static string Profile(long rows, int columns) =>
        JsonSerializer.Serialize(new Dictionary<string, long> { ["num_rows"] = rows, ["num_elements"] = rows * columns });
}
