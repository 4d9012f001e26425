namespace Strata.Storage.Artifacts;

/// <summary>
/// realpath(3) for .NET: resolves every symbolic link along an absolute path, including links in
/// the middle and chains of links, so containment checks compare where a path really leads.
/// Components that do not exist are kept as they are.
/// </summary>
internal static class CanonicalPath
{
    private const int MaxLinkHops = 40;

    public static string Resolve(string absolutePath)
    {
        var full = Path.GetFullPath(absolutePath);
        var root = Path.GetPathRoot(full) ?? "/";
        return Walk(root, root, full[root.Length..], absolutePath);
    }

    /// <summary>
    /// <see cref="Resolve"/> for a path below <paramref name="canonicalBase"/>, an already canonical folder: only the
    /// components below it are looked at, one readlink(2) each, instead of every component from the file system root.
    /// </summary>
    public static string ResolveBelow(string canonicalBase, string absolutePath)
    {
        var full = Path.GetFullPath(absolutePath);
        if (!IsUnder(full, canonicalBase))
        {
            return Resolve(full);
        }

        return Walk(Path.GetPathRoot(full) ?? "/", canonicalBase, full[canonicalBase.Length..], absolutePath);
    }

    private static string Walk(string root, string start, string remainder, string absolutePath)
    {
        var pending = new LinkedList<string>(Split(remainder));
        var current = start;
        var hops = 0;

        while (pending.First is { } node)
        {
            pending.RemoveFirst();
            var segment = node.Value;
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }

            var next = Path.Join(current, segment);
            var target = ReadLink(next);
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new IOException($"Too many levels of symbolic links: {absolutePath}");
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target) ?? root;
                target = target[current.Length..];
            }

            var parts = Split(target);
            for (var i = parts.Length - 1; i >= 0; i--)
            {
                pending.AddFirst(parts[i]);
            }
        }

        return current;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or lies below it (both canonical).</summary>
    public static bool IsUnder(string path, string root)
    {
        if (path.Length == root.Length)
        {
            return string.Equals(path, root, StringComparison.Ordinal);
        }

        var rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        return path.StartsWith(rootWithSeparator, StringComparison.Ordinal);
    }

    /// <summary>The target of a symbolic link, or null when the path is not a link or does not exist.</summary>
    public static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string[] Split(string path) =>
        path.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
}
