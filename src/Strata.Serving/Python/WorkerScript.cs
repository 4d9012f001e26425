using System.Security.Cryptography;

namespace Strata.Serving.Python;

/// <summary>
/// The worker program ships inside this assembly and is written out once per content, so a published single binary
/// and a development build start the same script, and two servers never overwrite each other's copy mid-start.
/// </summary>
internal static class WorkerScript
{
    private const string ResourceName = "Strata.Serving.Python.strata_worker.py";

    public static string Extract(string directory)
    {
        using var stream = typeof(WorkerScript).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The worker script resource '{ResourceName}' is missing from the build.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.ToArray();
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"strata_worker_{hash}.py");
        if (!File.Exists(path))
        {
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }

        return path;
    }
}
