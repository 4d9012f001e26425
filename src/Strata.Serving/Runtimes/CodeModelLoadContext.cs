using System.Reflection;
using System.Runtime.Loader;

namespace Strata.Serving.Runtimes;

/// <summary>
/// The collectible load context of one code-model version. The contracts (<c>Strata.Models.Abstractions</c> and the
/// <c>Strata.Core</c> types it exposes) come from the host, so the host and the model agree on
/// <see cref="Strata.Models.IStrataModel"/>; every other assembly the model's folder holds is loaded from there, so two
/// versions can use different versions of one dependency side by side. Anything the folder lacks (the shared framework)
/// falls back to the default context.
/// </summary>
internal sealed class CodeModelLoadContext : AssemblyLoadContext
{
    /// <summary>Assemblies always taken from the host: the code-model contracts and the types in their signatures.</summary>
    public static readonly IReadOnlySet<string> SharedAssemblies = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        typeof(Strata.Models.IStrataModel).Assembly.GetName().Name!,
        typeof(Strata.Core.Models.ModelInput).Assembly.GetName().Name!,
    };

    private readonly string _folder;
    private readonly AssemblyDependencyResolver? _resolver;

    public CodeModelLoadContext(string name, string mainAssemblyPath)
        : base(name, isCollectible: true)
    {
        _folder = Path.GetDirectoryName(mainAssemblyPath)!;
        // The build output's <name>.deps.json, when it was packed, also maps native libraries and satellite folders.
        _resolver = File.Exists(Path.ChangeExtension(mainAssemblyPath, ".deps.json")) ? new AssemblyDependencyResolver(mainAssemblyPath) : null;
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is null || SharedAssemblies.Contains(assemblyName.Name))
        {
            return null;
        }

        var path = _resolver?.ResolveAssemblyToPath(assemblyName);
        if (path is null)
        {
            var candidate = Path.Combine(_folder, assemblyName.Name + ".dll");
            path = File.Exists(candidate) ? candidate : null;
        }

        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver?.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
