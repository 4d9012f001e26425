using Microsoft.Extensions.Logging;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Python;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Models;

/// <summary>Loads one flavor of a model folder into a runtime.</summary>
public interface IModelFlavorLoader
{
    string Flavor { get; }

    IModelRuntime Load(string folder, MlModel model);
}

/// <summary>A flavor whose load is asynchronous (it starts processes); <see cref="ModelRuntimeLoader.LoadAsync"/> awaits it.</summary>
public interface IAsyncModelFlavorLoader : IModelFlavorLoader
{
    Task<IModelRuntime> LoadAsync(string folder, MlModel model, CancellationToken ct);
}

public sealed class MlnetFlavorLoader : IModelFlavorLoader
{
    public string Flavor => MlnetFlavor.Name;

    public IModelRuntime Load(string folder, MlModel model) => MlnetFlavor.Load(folder, model);
}

public sealed class OnnxFlavorLoader : IModelFlavorLoader
{
    public string Flavor => OnnxFlavor.Name;

    public IModelRuntime Load(string folder, MlModel model) => OnnxFlavor.Load(folder, model);
}

/// <summary>
/// Turns a local MLflow model folder into an <see cref="IModelRuntime"/>, choosing the first flavor it has in the
/// order of the loaders given (by default <c>mlnet</c>, then <c>onnx</c>, then <c>dotnet_function</c>).
/// </summary>
public sealed class ModelRuntimeLoader(IEnumerable<IModelFlavorLoader> loaders)
{
    private readonly IReadOnlyList<IModelFlavorLoader> _loaders = loaders.ToList();

    public ModelRuntimeLoader()
        : this([new MlnetFlavorLoader(), new OnnxFlavorLoader(), new DotnetFunctionFlavorLoader()])
    {
    }

    /// <summary>
    /// The loaders of a serving process: the native flavors (<c>mlnet</c>, <c>onnx</c>, <c>dotnet_function</c>), then
    /// <c>python_function</c> through Python workers (first
    /// instead, when <see cref="PythonWorkerOptions.PreferPythonFunction"/> is set).
    /// </summary>
    public static ModelRuntimeLoader ForServing(PythonWorkerOptions python, TimeSpan requestTimeout, ILoggerFactory loggerFactory, string? scriptDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(python);
        var pythonLoader = scriptDirectory is null
            ? new PythonFlavorLoader(python, requestTimeout, loggerFactory)
            : new PythonFlavorLoader(python, requestTimeout, loggerFactory) { ScriptDirectory = scriptDirectory };

        IModelFlavorLoader[] native = [new MlnetFlavorLoader(), new OnnxFlavorLoader(), new DotnetFunctionFlavorLoader()];
        return new ModelRuntimeLoader(python.PreferPythonFunction ? [pythonLoader, .. native] : [.. native, pythonLoader]);
    }

    /// <summary>The flavors this loader serves, in order of preference.</summary>
    public IReadOnlyList<string> ServableFlavors => _loaders.Select(l => l.Flavor).ToList();

    public async Task<IModelRuntime> LoadAsync(string folder, CancellationToken cancellationToken = default)
    {
        var model = await ModelFolder.ReadMlModelAsync(folder, cancellationToken).ConfigureAwait(false);
        var loader = Choose(folder, model);
        return loader is IAsyncModelFlavorLoader async
            ? await async.LoadAsync(folder, model, cancellationToken).ConfigureAwait(false)
            : loader.Load(folder, model);
    }

    public IModelRuntime Load(string folder, MlModel model) => Choose(folder, model).Load(folder, model);

    private IModelFlavorLoader Choose(string folder, MlModel model)
    {
        foreach (var loader in _loaders)
        {
            if (model.HasFlavor(loader.Flavor))
            {
                return loader;
            }
        }

        var has = model.Flavors.Count == 0 ? "no flavors" : $"the flavors [{string.Join(", ", model.Flavors.Keys)}]";
        throw MlflowException.InvalidParameter(
            $"The model at '{folder}' has {has}; Strata serves models with one of the flavors [{string.Join(", ", ServableFlavors)}]. "
            + "Log the model with one of those flavors (for example convert it to ONNX) to serve it.");
    }
}
