using Microsoft.ML;
using Strata.Client;
using Strata.Client.Models;
using Strata.Core.Tracking;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;
using CoreModelInput = Strata.Core.Models.ModelInput;

namespace Strata.Models;

/// <summary>Options of <see cref="ModelLogging.LogModelAsync"/> beyond the model itself.</summary>
public sealed record LogModelOptions
{
    /// <summary>The logged model's name (also the default artifact folder name in the UI).</summary>
    public string Name { get; init; } = "model";

    /// <summary>Register the model under this name and return the new version.</summary>
    public string? RegisteredModelName { get; init; }

    /// <summary>Written as input_example.json / serving_input_example.json.</summary>
    public CoreModelInput? InputExample { get; init; }

    public IReadOnlyList<KeyValue>? Params { get; init; }

    public IReadOnlyList<KeyValue>? Tags { get; init; }

    public long Step { get; init; }
}

/// <summary>
/// Logging ML.NET models from a run (mlnet or onnx flavor, MLflow 3 logged-model flow) and loading any
/// logged or registered model back as a ready-to-score runtime.
/// </summary>
public static class ModelLogging
{
    /// <summary>
    /// Saves <paramref name="model"/> in the <c>mlnet</c> flavor (the signature is inferred from
    /// <paramref name="inputSchema"/>), logs it as an output of <paramref name="run"/>, and registers it when
    /// <see cref="LogModelOptions.RegisteredModelName"/> is set.
    /// </summary>
    public static Task<LoggedModelResult> LogModelAsync(
        this StrataRun run, MLContext ml, ITransformer model, DataViewSchema inputSchema, LogModelOptions? options = null,
        CancellationToken ct = default)
    {
        options ??= new LogModelOptions();
        return run.Client.LogModelFolderAsync(Request(run, options, MlnetFlavor.Name), (logged, folder, c) =>
            MlnetFlavor.SaveAsync(folder, ml, model, inputSchema, SaveOptions(run, logged, options), c), ct);
    }

    /// <summary>
    /// Converts <paramref name="model"/> to ONNX and logs it in the <c>onnx</c> flavor, loadable by MLflow's Python
    /// client too. <paramref name="inputOnly"/> must hold only the columns the model reads (no label).
    /// </summary>
    public static Task<LoggedModelResult> LogOnnxModelAsync(
        this StrataRun run, MLContext ml, ITransformer model, IDataView inputOnly, LogModelOptions? options = null,
        CancellationToken ct = default)
    {
        options ??= new LogModelOptions();
        return run.Client.LogModelFolderAsync(Request(run, options, OnnxFlavor.Name), (logged, folder, c) =>
            MlnetOnnxExport.SaveAsOnnxAsync(folder, ml, model, inputOnly, SaveOptions(run, logged, options), cancellationToken: c), ct);
    }

    /// <summary>
    /// Loads a model for scoring from <c>models:/name@alias</c>, <c>models:/name/3</c>, <c>models:/name/Staging</c>,
    /// <c>models:/name/latest</c>, <c>models:/m-...</c>, <c>runs:/run_id/path</c> or a local folder: resolves it,
    /// downloads the folder (to a temporary directory removed after loading, unless <paramref name="downloadDirectory"/>
    /// is given) and loads its first supported flavor (mlnet, then onnx, then dotnet_function).
    /// </summary>
    public static async Task<IModelRuntime> LoadModelAsync(
        this StrataClient client, string modelUri, string? downloadDirectory = null, CancellationToken ct = default)
    {
        var loader = new ModelRuntimeLoader();
        if (ModelReference.Parse(modelUri) is ModelReference.LocalFolder local)
        {
            return await loader.LoadAsync(Path.GetFullPath(local.Path), ct).ConfigureAwait(false);
        }
        var temp = downloadDirectory is null ? Directory.CreateTempSubdirectory("strata-load-") : null;
        try
        {
            var folder = await client.DownloadModelAsync(modelUri, downloadDirectory ?? temp!.FullName, ct).ConfigureAwait(false);
            // The ML.NET and ONNX runtimes read the model files into memory while loading, so the temporary copy can go
            // afterwards; a code model loads its dependencies on first use, so its copy goes when the runtime is disposed.
            var runtime = await loader.LoadAsync(folder, ct).ConfigureAwait(false);
            if (runtime is CodeModelRuntime code && temp is not null)
            {
                code.DeleteOnDispose(temp.FullName);
                temp = null;
            }

            return runtime;
        }
        finally
        {
            temp?.Delete(recursive: true);
        }
    }

    internal static LogModelRequest Request(StrataRun run, LogModelOptions options, string modelType) => new()
    {
        ExperimentId = run.ExperimentId,
        SourceRunId = run.RunId,
        Name = options.Name,
        ModelType = modelType,
        Params = options.Params,
        Tags = options.Tags,
        Step = options.Step,
        RegisteredModelName = options.RegisteredModelName,
    };

    // MLflow 3 writes the logged model's artifact URI as artifact_path and its id as model_id and model_uuid.
    internal static ModelSaveOptions SaveOptions(StrataRun run, LoggedModel logged, LogModelOptions options) => new()
    {
        RunId = run.RunId,
        ArtifactPath = logged.Info.ArtifactUri,
        ModelId = logged.Info.ModelId,
        InputExample = options.InputExample,
    };
}
