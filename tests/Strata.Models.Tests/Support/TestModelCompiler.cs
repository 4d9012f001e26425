using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Strata.Core.Models;
using Strata.Models;

namespace Strata.Models.Tests.Support;

/// <summary>
/// Compiles small C# sources into assemblies on disk, the way a team's build output would look: the model's assembly
/// next to the dependencies it references.
/// </summary>
public static class TestModelCompiler
{
    private static readonly Lazy<IReadOnlyList<MetadataReference>> Framework = new(() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "netstandard.dll" or "mscorlib.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Concat([
                MetadataReference.CreateFromFile(typeof(IStrataModel).Assembly.Location),
                MetadataReference.CreateFromFile(typeof(ModelInput).Assembly.Location),
            ])
            .ToList());

    /// <summary>Compiles <paramref name="source"/> as <paramref name="assemblyName"/> <paramref name="version"/> into <paramref name="folder"/>.</summary>
    public static string Compile(string folder, string assemblyName, string version, string source, params string[] references)
    {
        Directory.CreateDirectory(folder);
        var options = new CSharpParseOptions(LanguageVersion.Latest);
        var attributes = CSharpSyntaxTree.ParseText(
            $"[assembly: System.Reflection.AssemblyVersion(\"{version}\")]\n"
            + "[assembly: System.Runtime.Versioning.TargetFramework(\".NETCoreApp,Version=v10.0\")]\n",
            options);
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [attributes, CSharpSyntaxTree.ParseText(source, options)],
            Framework.Value.Concat(references.Select(r => MetadataReference.CreateFromFile(r))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var path = Path.Combine(folder, assemblyName + ".dll");
        var result = compilation.Emit(path);
        if (!result.Success)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }

        return path;
    }

    /// <summary>
    /// Loads a compiled model's type the way the team's own process has it when it logs the model: here in a load context
    /// of its own, so two builds of one assembly name can both be logged from one test process.
    /// </summary>
    public static Type LoadType(string assemblyPath, string typeName) =>
        new BuildOutputContext(assemblyPath).LoadFromAssemblyPath(assemblyPath).GetType(typeName, throwOnError: true)!;

    private sealed class BuildOutputContext(string assemblyPath) : AssemblyLoadContext(Path.GetFileName(assemblyPath), isCollectible: true)
    {
        private readonly string _folder = Path.GetDirectoryName(assemblyPath)!;

        protected override Assembly? Load(AssemblyName name)
        {
            if (name.Name is "Strata.Models.Abstractions" or "Strata.Core")
            {
                return null;
            }

            var path = Path.Combine(_folder, name.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
