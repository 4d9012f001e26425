namespace Strata.Core.Tracking;

/// <summary>POSIX path normalisation with the exact rules of Python's <c>posixpath.normpath</c>.</summary>
public static class PosixPath
{
    public static string Normalize(string path)
    {
        if (path.Length == 0)
        {
            return ".";
        }

        // POSIX keeps exactly two leading slashes (implementation-defined meaning); one or three+ become one.
        var leading = 0;
        if (path[0] == '/')
        {
            leading = path.StartsWith("//", StringComparison.Ordinal) && !path.StartsWith("///", StringComparison.Ordinal) ? 2 : 1;
        }

        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part != ".." || (leading == 0 && parts.Count == 0) || (parts.Count > 0 && parts[^1] == ".."))
            {
                parts.Add(part);
            }
            else if (parts.Count > 0)
            {
                parts.RemoveAt(parts.Count - 1);
            }
        }

        var joined = new string('/', leading) + string.Join('/', parts);
        return joined.Length == 0 ? "." : joined;
    }
}
