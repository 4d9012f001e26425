using Microsoft.AspNetCore.StaticFiles;

namespace Strata.Server.Artifacts;

/// <summary>The Content-Type of a downloaded artifact (mlflow-artifacts.md §3.2).</summary>
internal static class ArtifactContentTypes
{
    private static readonly FileExtensionContentTypeProvider Guesser = new();

    private static readonly HashSet<string> TextExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".txt", ".log", ".err", ".cfg", ".conf", ".cnf", ".cf", ".ini", ".properties", ".prop", ".hocon",
        ".toml", ".yaml", ".yml", ".xml", ".json", ".js", ".py", ".py3", ".csv", ".tsv", ".md", ".rst",
    };

    public static string For(string fileName)
    {
        if (fileName is "MLmodel" or "MLproject" || TextExtensions.Contains(Path.GetExtension(fileName)))
        {
            return "text/plain";
        }

        return Guesser.TryGetContentType(fileName, out var type) ? type : "application/octet-stream";
    }
}
