namespace Strata.Client.Models;

/// <summary>
/// A parsed model reference (model-format spec §3): <c>models:/name/3</c>, <c>models:/name/Production</c>,
/// <c>models:/name/latest</c>, <c>models:/name@alias</c>, <c>models:/m-...</c> (a logged model),
/// <c>runs:/run_id/path</c>, or a local folder. <see cref="SubPath"/> is a path inside the model.
/// </summary>
public abstract record ModelUri
{
    public string SubPath { get; init; } = "";

    public sealed record RegisteredVersion(string Name, string Version) : ModelUri;

    public sealed record RegisteredStage(string Name, string Stage) : ModelUri;

    /// <summary><c>models:/name/latest</c>: the highest version across all stages.</summary>
    public sealed record RegisteredLatest(string Name) : ModelUri;

    public sealed record RegisteredAlias(string Name, string Alias) : ModelUri;

    public sealed record LoggedModelId(string ModelId) : ModelUri;

    public sealed record RunArtifact(string RunId, string Path) : ModelUri;

    public sealed record LocalFolder(string Path) : ModelUri;

    /// <summary>Any other artifact URI (<c>mlflow-artifacts:/...</c>, <c>http(s)://...</c>, <c>file:</c>).</summary>
    public sealed record Artifact(string Uri) : ModelUri;

    public static ModelUri Parse(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (uri.StartsWith("models:/", StringComparison.Ordinal))
        {
            return ParseModels(uri);
        }
        if (uri.StartsWith("runs:/", StringComparison.Ordinal))
        {
            var rest = uri["runs:/".Length..].Trim('/');
            var slash = rest.IndexOf('/');
            if (rest.Length == 0)
            {
                throw new FormatException($"'{uri}' names no run: expected runs:/<run_id>/<path>.");
            }
            return slash < 0 ? new RunArtifact(rest, "") : new RunArtifact(rest[..slash], rest[(slash + 1)..]);
        }
        if (uri.StartsWith("mlflow-artifacts:", StringComparison.OrdinalIgnoreCase)
            || uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return new Artifact(uri);
        }
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return new LocalFolder(new Uri(uri).LocalPath);
        }
        if (!uri.Contains("://", StringComparison.Ordinal))
        {
            return new LocalFolder(uri);
        }
        throw new FormatException($"Unsupported model URI '{uri}'.");
    }

    private static ModelUri ParseModels(string uri)
    {
        var rest = uri["models:/".Length..].TrimStart('/');
        // The logged-model form: models:/m-<hex>[/sub/path]
        if (rest.StartsWith("m-", StringComparison.Ordinal))
        {
            var end = rest.IndexOf('/');
            var id = end < 0 ? rest : rest[..end];
            if (id.Length > 2 && id[2..].All(char.IsAsciiHexDigit))
            {
                return new LoggedModelId(id) { SubPath = end < 0 ? "" : rest[(end + 1)..] };
            }
        }
        // name@alias[/sub/path]: the alias is what follows the last '@' up to the next '/'.
        var at = rest.LastIndexOf('@');
        if (at > 0)
        {
            var afterAt = rest[(at + 1)..];
            var slash = afterAt.IndexOf('/');
            var alias = slash < 0 ? afterAt : afterAt[..slash];
            if (alias.Length == 0)
            {
                throw new FormatException($"'{uri}' has an empty alias.");
            }
            return new RegisteredAlias(rest[..at], alias) { SubPath = slash < 0 ? "" : afterAt[(slash + 1)..] };
        }
        // name/suffix[/sub/path]: names may not contain '/', so the first segment is the name.
        var parts = rest.Split('/', 3);
        if (parts.Length < 2 || parts[0].Length == 0 || parts[1].Length == 0)
        {
            throw new FormatException($"'{uri}' is not models:/<name>/<version|stage|latest>, models:/<name>@<alias> or models:/<model_id>.");
        }
        var sub = parts.Length == 3 ? parts[2] : "";
        var (name, suffix) = (parts[0], parts[1]);
        if (suffix.All(char.IsAsciiDigit))
        {
            return new RegisteredVersion(name, suffix) { SubPath = sub };
        }
        if (suffix.Equals("latest", StringComparison.OrdinalIgnoreCase))
        {
            return new RegisteredLatest(name) { SubPath = sub };
        }
        return new RegisteredStage(name, suffix) { SubPath = sub };
    }
}
