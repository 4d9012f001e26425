namespace Strata.Core.Artifacts;

/// <summary>
/// Maps artifact URIs that point at the proxy onto paths relative to the artifacts destination
/// (mlflow-artifacts.md §1): <c>mlflow-artifacts:/x/y</c>, <c>mlflow-artifacts://host:port/x/y</c> and
/// <c>http(s)://host/prefix/api/2.0/mlflow-artifacts/artifacts/x/y</c> all give <c>x/y</c>.
/// </summary>
public static class ArtifactUri
{
    public const string ProxyScheme = "mlflow-artifacts";

    /// <summary>The anchor after which an http(s) artifact URI holds the proxy-relative path.</summary>
    public const string HttpAnchor = "/api/2.0/mlflow-artifacts/artifacts";

    /// <summary>Whether the server itself serves this URI through the artifacts destination.</summary>
    public static bool IsProxied(string uri) => TryGetProxyPath(uri, out _);

    /// <summary>
    /// The proxy-relative path of <paramref name="uri"/>, validated by <see cref="ArtifactPath.Validate"/>
    /// ("" for the destination root). False for URIs the proxy does not serve (s3:, file:, plain paths...).
    /// Throws INVALID_PARAMETER_VALUE when a proxy URI carries an unsafe path.
    /// </summary>
    public static bool TryGetProxyPath(string uri, out string path)
    {
        path = "";
        var colon = uri.IndexOf(':');
        if (colon <= 0)
        {
            return false;
        }

        var scheme = uri[..colon];
        var rest = uri[(colon + 1)..];
        string? rawPath;
        if (scheme.Equals(ProxyScheme, StringComparison.OrdinalIgnoreCase))
        {
            rawPath = StripAuthority(StripQuery(rest));
        }
        else if (scheme.Equals("http", StringComparison.OrdinalIgnoreCase) || scheme.Equals("https", StringComparison.OrdinalIgnoreCase))
        {
            rawPath = AfterAnchor(StripAuthority(StripQuery(rest)));
            if (rawPath is null)
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        // A client addresses the proxy with the URI's path in the request URL, which the server sees
        // decoded once; decode once here so both routes reach the same file.
        path = ArtifactPath.Validate(Uri.UnescapeDataString(rawPath).TrimStart('/'));
        return true;
    }

    /// <summary>
    /// Builds the artifact URI for a proxy-relative path under a proxy root URI, e.g.
    /// (<c>mlflow-artifacts:/0/r/artifacts</c>, <c>model</c>) → <c>mlflow-artifacts:/0/r/artifacts/model</c>.
    /// </summary>
    public static string Append(string rootUri, string relativePath) =>
        relativePath.Length == 0 ? rootUri : rootUri.TrimEnd('/') + "/" + relativePath;

    private static string StripQuery(string value)
    {
        var question = value.IndexOf('?');
        return question < 0 ? value : value[..question];
    }

    private static string StripAuthority(string value)
    {
        if (!value.StartsWith("//", StringComparison.Ordinal))
        {
            return value;
        }

        var slash = value.IndexOf('/', 2);
        return slash < 0 ? "" : value[slash..];
    }

    private static string? AfterAnchor(string value)
    {
        var at = value.IndexOf(HttpAnchor, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var tail = value[(at + HttpAnchor.Length)..];
        if (tail.Length > 0 && tail[0] != '/')
        {
            return null; // e.g. ".../artifactsX": not the anchor
        }

        return tail;
    }
}
