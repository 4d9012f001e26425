namespace Strata.Client.Artifacts;

/// <summary>Client-side checks of artifact paths (mlflow-artifacts spec §5): reject what the server would, before sending.</summary>
public static class ArtifactPaths
{
    /// <summary>Returns the path with forward slashes and no leading/trailing slash; throws on traversal or non-normal forms.</summary>
    public static string Normalize(string? path, string parameter = "path")
    {
        if (string.IsNullOrEmpty(path))
        {
            return "";
        }
        if (path.Contains('\\') || path.Contains('#') || path.Contains('\0'))
        {
            throw new ArgumentException($"Artifact path '{path}' may not contain '\\', '#' or NUL.", parameter);
        }
        if (path.StartsWith('/') || (path.Length >= 2 && path[1] == ':'))
        {
            throw new ArgumentException($"Artifact path '{path}' must be relative.", parameter);
        }
        var trimmed = path.TrimEnd('/');
        foreach (var segment in trimmed.Split('/'))
        {
            if (segment is "" or "." or "..")
            {
                throw new ArgumentException($"Artifact path '{path}' is not normalized (empty, '.' or '..' segment).", parameter);
            }
        }
        return trimmed;
    }

    public static string Join(string a, string b) =>
        a.Length == 0 ? b : b.Length == 0 ? a : a.TrimEnd('/') + "/" + b.TrimStart('/');

    /// <summary>Percent-encodes each segment for use in a URL path.</summary>
    public static string EncodeSegments(string path) =>
        string.Join('/', path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString));
}
