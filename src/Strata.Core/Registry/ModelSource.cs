using System.Net;
using System.Text.RegularExpressions;
using Strata.Core.Errors;

namespace Strata.Core.Registry;

/// <summary>Pure URI checks for a model version's <c>source</c> (spec §6).</summary>
public static partial class ModelSource
{
    /// <summary>A local path or <c>file:</c> URI (no host, or localhost).</summary>
    public static bool IsLocal(string source)
    {
        var scheme = Scheme(source);
        if (scheme is null || (scheme.Length == 1 && char.IsAsciiLetter(scheme[0])))
        {
            return true; // plain path, or a Windows drive letter
        }

        if (!scheme.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var rest = source[(scheme.Length + 1)..];
        if (!rest.StartsWith("//", StringComparison.Ordinal))
        {
            return true;
        }

        var host = rest[2..].Split('/', 2)[0];
        return host.Length == 0 || host.Equals("localhost", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The URI scheme in lower case, or null for a plain path.</summary>
    public static string? Scheme(string uri)
    {
        var match = SchemePattern().Match(uri);
        return match.Success ? match.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>The path part of a URI (authority, query and fragment removed), or the string itself for a plain path.</summary>
    public static string PathOf(string uri)
    {
        var scheme = Scheme(uri);
        var rest = scheme is null ? uri : uri[(scheme.Length + 1)..];
        if (scheme is not null && rest.StartsWith("//", StringComparison.Ordinal))
        {
            var slash = rest.IndexOf('/', 2);
            rest = slash < 0 ? string.Empty : rest[slash..];
        }

        var cut = rest.IndexOfAny(['?', '#']);
        return cut < 0 ? rest : rest[..cut];
    }

    /// <summary>
    /// Rejects a non-local source whose path, after URL-decoding until stable, has a <c>..</c>
    /// segment, a NUL, or is not in normal form (so a path cannot climb out of its store).
    /// </summary>
    public static void ValidateNonLocal(string source)
    {
        var decoded = source;
        for (var i = 0; i < 16; i++)
        {
            var next = WebUtility.UrlDecode(decoded);
            if (next == decoded)
            {
                break;
            }

            decoded = next;
        }

        var path = MultiSlash().Replace(PathOf(decoded).TrimEnd('/'), "/");
        if (path.Contains('\0') || decoded.Split('/').Any(p => p == ".."))
        {
            throw InvalidSource(source);
        }

        if (path.Length > 0 && NormalizeAbsolute(path) != path)
        {
            throw InvalidSource(source);
        }
    }

    /// <summary>Is <paramref name="path"/> (a local path or file URI) inside <paramref name="directory"/> (same forms)?</summary>
    public static bool IsInside(string path, string directory)
    {
        var p = NormalizeAbsolute(LocalPath(path));
        var d = NormalizeAbsolute(LocalPath(directory)).TrimEnd('/');
        return p == d || p.StartsWith(d + "/", StringComparison.Ordinal);
    }

    public static MlflowException InvalidSource(string source) =>
        MlflowException.InvalidParameter(
            $"Invalid model version source: '{source}'. If supplying a source as an http, https, local file path, ftp, objectstore, " +
            "or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.");

    public static MlflowException InvalidLocalSource(string source) =>
        MlflowException.InvalidParameter(
            $"Invalid model version source: '{source}'. To use a local path as a model version source, the run_id request parameter " +
            "has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.");

    private static string LocalPath(string value)
    {
        var decoded = Uri.UnescapeDataString(value);
        return Scheme(decoded) == "file" ? PathOf(decoded) : decoded;
    }

    /// <summary>Collapses <c>//</c>, <c>.</c> and <c>..</c> like POSIX normpath, anchored at <c>/</c>.</summary>
    private static string NormalizeAbsolute(string path)
    {
        var stack = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (stack.Count > 0)
                {
                    stack.RemoveAt(stack.Count - 1);
                }

                continue;
            }

            stack.Add(segment);
        }

        return "/" + string.Join('/', stack);
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]*):")]
    private static partial Regex SchemePattern();

    [GeneratedRegex("/+")]
    private static partial Regex MultiSlash();
}
