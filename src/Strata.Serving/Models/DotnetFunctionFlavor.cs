using System.Globalization;
using System.Text.RegularExpressions;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Models;

/// <summary>
/// The <c>dotnet_function</c> flavor: a class implementing a code-model interface, packed with its compiled assembly and
/// dependencies, plus the artifacts it uses (see docs/dotnet-function-flavor.md).
/// <code>
/// dotnet_function:
///   code: code
///   assembly: Acme.Risk.dll
///   model_class: Acme.Risk.RiskModel
///   interface: typed
///   target_framework: net10.0
///   dotnet_version: 10.0.1
///   strata_version: 0.1.0
///   artifacts:
///     classifier:
///       path: artifacts/classifier
///       uri: /home/me/models/classifier
///   model_config: {threshold: 0.5}
/// </code>
/// There is no <c>python_function</c> section, so MLflow's Python client reads the MLmodel but refuses to load it.
/// </summary>
public static partial class DotnetFunctionFlavor
{
    public const string Name = "dotnet_function";
    public const string CodeFolder = "code";
    public const string ArtifactsFolder = "artifacts";

    /// <summary>Saves <paramref name="code"/> as a new MLflow model folder at <paramref name="path"/>.</summary>
    public static Task<MlModel> SaveAsync(string path, CodeModel code, ModelSaveOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(code);
        var type = CodeModelType.Of(code.ModelType);
        var signature = code.Signature ?? type.InferSignature()
            ?? throw new ArgumentException($"{code.ModelType.Name} is a column-frame model: give its signature (CodeModel.Signature).", nameof(code));
        if (code.Params is { Count: > 0 } declared)
        {
            signature = signature with { Params = declared };
        }

        foreach (var name in code.Artifacts.Keys)
        {
            if (!ArtifactName().IsMatch(name))
            {
                throw new ArgumentException($"Artifact name '{name}' must be letters, digits, '.', '_' or '-'.", nameof(code));
            }
        }

        var files = CodePackage.Collect(code.ModelType.Assembly, code.CodeFolder);
        options ??= new ModelSaveOptions();
        return ModelFolder.WriteAsync(path, options with { Signature = options.Signature ?? signature }, async (folder, ct) =>
        {
            foreach (var (relative, source) in files)
            {
                var target = Path.Combine(folder, CodeFolder, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await CopyFileAsync(source, target, ct).ConfigureAwait(false);
            }

            var artifacts = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var (name, source) in code.Artifacts)
            {
                var full = Path.GetFullPath(source);
                string relative;
                if (Directory.Exists(full))
                {
                    relative = $"{ArtifactsFolder}/{name}";
                    await CopyFolderAsync(full, Path.Combine(folder, ArtifactsFolder, name), ct).ConfigureAwait(false);
                }
                else if (File.Exists(full))
                {
                    relative = $"{ArtifactsFolder}/{name}/{Path.GetFileName(full)}";
                    Directory.CreateDirectory(Path.Combine(folder, ArtifactsFolder, name));
                    await CopyFileAsync(full, Path.Combine(folder, relative), ct).ConfigureAwait(false);
                }
                else
                {
                    throw new FileNotFoundException($"Artifact '{name}' points to '{source}', which does not exist.", source);
                }

                artifacts[name] = new Dictionary<string, object?> { ["path"] = relative, ["uri"] = code.ArtifactUris?.GetValueOrDefault(name) ?? source };
            }

            var flavor = new Dictionary<string, object?>
            {
                ["code"] = CodeFolder,
                ["assembly"] = Path.GetFileName(code.ModelType.Assembly.Location),
                ["model_class"] = code.ModelType.FullName,
                ["interface"] = type.Interface,
                ["target_framework"] = CodePackage.TargetFramework(code.ModelType.Assembly),
                ["dotnet_version"] = Environment.Version.ToString(),
                ["strata_version"] = MlnetFlavor.VersionOf(typeof(IStrataModel).Assembly),
                ["artifacts"] = artifacts,
            };
            if (code.ModelConfig is { Count: > 0 } config)
            {
                flavor["model_config"] = config;
            }

            return (new Dictionary<string, IReadOnlyDictionary<string, object?>> { [Name] = flavor }, signature);
        }, cancellationToken);
    }

    /// <summary>
    /// Loads the flavor of a folder whose MLmodel has already been read: the model's assembly in a new collectible load
    /// context, an instance of its class, <see cref="IStrataModel.LoadAsync"/> with the artifacts (models among them
    /// loaded by <paramref name="artifactLoader"/>, the loader serving uses).
    /// </summary>
    public static CodeModelRuntime Load(string folder, MlModel model, ModelRuntimeLoader artifactLoader)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(artifactLoader);
        var config = model.Flavor(Name) ?? throw MlflowException.InvalidParameter($"The model at '{folder}' has no '{Name}' flavor.");
        EnsureRuntimeCanRun(config.GetValueOrDefault("target_framework") as string, folder);
        var assemblyFile = Text(config, "assembly", folder);
        var className = Text(config, "model_class", folder);
        var code = config.GetValueOrDefault("code") as string ?? CodeFolder;
        var assemblyPath = Inside(folder, Path.Combine(code, assemblyFile), "assembly");
        if (!File.Exists(assemblyPath))
        {
            throw MlflowException.NotFound($"The '{Name}' flavor points to '{code}/{assemblyFile}', which is not in the model folder '{folder}'.");
        }

        var artifacts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (config.GetValueOrDefault("artifacts") is IReadOnlyDictionary<string, object?> declared)
        {
            foreach (var (name, value) in declared)
            {
                var relative = value switch
                {
                    string s => s,
                    IReadOnlyDictionary<string, object?> entry => entry.GetValueOrDefault("path") as string,
                    _ => null,
                } ?? throw MlflowException.InvalidParameter($"Artifact '{name}' of the '{Name}' flavor in '{folder}' has no path.");
                artifacts[name] = Inside(folder, relative, $"artifact '{name}'");
            }
        }

        var modelConfig = config.GetValueOrDefault("model_config") as IReadOnlyDictionary<string, object?> ?? new Dictionary<string, object?>();
        var context = new CodeModelLoadContext($"{Name}:{model.ModelId ?? model.ModelUuid ?? folder}", assemblyPath);
        var loaded = new List<IModelRuntime>();
        try
        {
            var type = context.LoadFromAssemblyPath(assemblyPath).GetType(className, throwOnError: false)
                ?? throw MlflowException.InvalidParameter($"The assembly {assemblyFile} of the model at '{folder}' has no class '{className}'.");
            CodeModelType codeType;
            try
            {
                codeType = CodeModelType.Of(type);
            }
            catch (ArgumentException e)
            {
                throw MlflowException.InvalidParameter(e.Message);
            }

            var instance = codeType.CreateInstance();
            var modelContext = new ModelContext(Path.GetFullPath(folder), artifacts, modelConfig, async (name, ct) =>
            {
                var runtime = await artifactLoader.LoadAsync(artifacts[name], ct).ConfigureAwait(false);
                lock (loaded)
                {
                    loaded.Add(runtime);
                }

                return new ArtifactModel(runtime);
            });
            try
            {
                instance.LoadAsync(modelContext, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception e) when (e is not MlflowException)
            {
                throw MlflowException.InvalidParameter($"The code model {className} failed in LoadAsync: {e.GetType().Name}: {e.Message}");
            }

            return new CodeModelRuntime(model, instance, context, loaded);
        }
        catch
        {
            foreach (var runtime in loaded)
            {
                runtime.Dispose();
            }

            context.Unload();
            throw;
        }
    }

    /// <summary>A model built for a newer .NET than this process runs would fail later on a missing API: refuse it now.</summary>
    public static void EnsureRuntimeCanRun(string? targetFramework, string folder)
    {
        var match = targetFramework is null ? null : TargetFrameworkPattern().Match(targetFramework);
        if (match is not { Success: true })
        {
            return;
        }

        var wanted = new Version(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
        var running = new Version(Environment.Version.Major, Environment.Version.Minor);
        if (wanted > running)
        {
            throw MlflowException.InvalidParameter(
                $"The code model at '{folder}' targets {targetFramework} but this server runs .NET {running}: serve it with a Strata built on .NET {wanted} or later, or rebuild the model for net{running}.");
        }
    }

    private static string Text(IReadOnlyDictionary<string, object?> config, string key, string folder) =>
        config.GetValueOrDefault(key) as string is { Length: > 0 } value
            ? value
            : throw MlflowException.InvalidParameter($"The '{Name}' flavor of '{folder}' has no '{key}' entry.");

    /// <summary>A path from the MLmodel, which must stay inside the model folder.</summary>
    private static string Inside(string folder, string relative, string what)
    {
        var root = Path.GetFullPath(folder);
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw MlflowException.InvalidParameter($"The {what} path '{relative}' of the '{Name}' flavor leaves the model folder '{folder}'.");
        }

        return full;
    }

    private static async Task CopyFileAsync(string source, string target, CancellationToken ct)
    {
        await using var from = File.OpenRead(source);
        await using var to = File.Create(target);
        await from.CopyToAsync(to, ct).ConfigureAwait(false);
    }

    private static async Task CopyFolderAsync(string source, string target, CancellationToken ct)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            await CopyFileAsync(file, to, ct).ConfigureAwait(false);
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$")]
    private static partial Regex ArtifactName();

    [GeneratedRegex(@"^net(\d+)\.(\d+)")]
    private static partial Regex TargetFrameworkPattern();
}

/// <summary>Loads <c>dotnet_function</c> models; the models they carry load through <paramref name="artifactLoader"/>.</summary>
public sealed class DotnetFunctionFlavorLoader(ModelRuntimeLoader artifactLoader) : IModelFlavorLoader
{
    /// <summary>Carried models load with the ML.NET and ONNX runtimes serving uses.</summary>
    public DotnetFunctionFlavorLoader()
        : this(new ModelRuntimeLoader([new MlnetFlavorLoader(), new OnnxFlavorLoader()]))
    {
    }

    public string Flavor => DotnetFunctionFlavor.Name;

    public IModelRuntime Load(string folder, MlModel model) => DotnetFunctionFlavor.Load(folder, model, artifactLoader);
}
