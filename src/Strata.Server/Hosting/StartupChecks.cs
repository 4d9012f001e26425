namespace Strata.Server.Hosting;

/// <summary>Checks done before the server accepts requests, so a bad folder fails fast with one line.</summary>
public static class StartupChecks
{
    /// <summary>Creates <paramref name="path"/> if needed and proves it is writable. Remote URIs are skipped.</summary>
    public static void EnsureWritableDirectory(string path, string setting)
    {
        if (path.Contains("://", StringComparison.Ordinal) && !path.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        var local = path.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(path).LocalPath : path;
        try
        {
            Directory.CreateDirectory(local);
            var probe = Path.Combine(local, $".strata-write-check-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new StrataConfigurationException($"{setting} '{path}' is not a writable folder: {ex.Message}", ex);
        }
    }
}
