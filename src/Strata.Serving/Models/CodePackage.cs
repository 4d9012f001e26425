using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.Versioning;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Models;

/// <summary>Which files of a build output make up a code model, and what framework they target.</summary>
internal static class CodePackage
{
    /// <summary>Relative path (under the code folder) to source file, for the model's assembly and its dependencies.</summary>
    public static IReadOnlyDictionary<string, string> Collect(Assembly assembly, string? codeFolder)
    {
        var main = assembly.Location;
        if (string.IsNullOrEmpty(main))
        {
            throw new ArgumentException($"{assembly.GetName().Name} was not loaded from a file, so it cannot be packed as a code model.");
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        if (codeFolder is not null)
        {
            codeFolder = Path.GetFullPath(codeFolder);
            var inFolder = Path.Combine(codeFolder, Path.GetFileName(main));
            if (!File.Exists(inFolder))
            {
                throw new ArgumentException($"The code folder '{codeFolder}' does not hold {Path.GetFileName(main)}.");
            }

            foreach (var file in Directory.EnumerateFiles(codeFolder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(codeFolder, file);
                if (!IsShared(relative))
                {
                    files[relative.Replace('\\', '/')] = file;
                }
            }

            return files;
        }

        var folder = Path.GetDirectoryName(main)!;
        var pending = new Queue<string>([main]);
        while (pending.TryDequeue(out var path))
        {
            var name = Path.GetFileName(path);
            if (!files.TryAdd(name, path))
            {
                continue;
            }

            var pdb = Path.ChangeExtension(path, ".pdb");
            if (File.Exists(pdb))
            {
                files[Path.GetFileName(pdb)] = pdb;
            }

            foreach (var reference in References(path))
            {
                var candidate = Path.Combine(folder, reference + ".dll");
                if (!CodeModelLoadContext.SharedAssemblies.Contains(reference) && File.Exists(candidate))
                {
                    pending.Enqueue(candidate);
                }
            }
        }

        return files;
    }

    /// <summary>The <c>netX.Y</c> moniker the assembly was built for (null when it does not say).</summary>
    public static string? TargetFramework(Assembly assembly)
    {
        var attribute = assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName;
        if (attribute is null)
        {
            return null;
        }

        var name = new System.Runtime.Versioning.FrameworkName(attribute);
        return name.Identifier == ".NETCoreApp" ? $"net{name.Version.Major}.{name.Version.Minor}" : attribute;
    }

    private static bool IsShared(string relative) =>
        Path.GetDirectoryName(relative) is null or ""
        && Path.GetExtension(relative) is ".dll" or ".pdb" or ".xml"
        && CodeModelLoadContext.SharedAssemblies.Contains(Path.GetFileNameWithoutExtension(relative));

    private static List<string> References(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        return reader.AssemblyReferences.Select(h => reader.GetString(reader.GetAssemblyReference(h).Name)).ToList();
    }
}
