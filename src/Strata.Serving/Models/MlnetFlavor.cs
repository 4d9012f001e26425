using System.Reflection;
using Microsoft.ML;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Models;

/// <summary>
/// The <c>mlnet</c> flavor: an ML.NET model zip (saved with its input schema) plus the ML.NET version that wrote it.
/// <code>
/// mlnet:
///   code: null
///   mlnet_version: 5.0.1
///   model_data: model.zip
/// </code>
/// There is no <c>python_function</c> section: Python cannot load an ML.NET model (export to ONNX for that).
/// </summary>
public static class MlnetFlavor
{
    public const string Name = "mlnet";
    public const string ModelFile = "model.zip";

    /// <summary>The ML.NET version in use, as written to <c>mlnet_version</c>.</summary>
    public static string MlnetVersion { get; } = VersionOf(typeof(MLContext).Assembly);

    /// <summary>Saves <paramref name="model"/> as a new MLflow model folder at <paramref name="path"/>. The signature comes from
    /// the columns the model reads (of <paramref name="inputSchema"/>) and the prediction columns it adds.</summary>
    public static Task<MlModel> SaveAsync(
        string path,
        MLContext ml,
        ITransformer model,
        DataViewSchema inputSchema,
        ModelSaveOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        return ModelFolder.WriteAsync(path, options ?? new ModelSaveOptions(), async (folder, ct) =>
        {
            var signature = InferSignature(model, inputSchema);
            await using (var stream = File.Create(Path.Combine(folder, ModelFile)))
            {
                ml.Model.Save(model, inputSchema, stream);
                await stream.FlushAsync(ct).ConfigureAwait(false);
            }

            var flavor = new Dictionary<string, object?>
            {
                ["code"] = null,
                ["mlnet_version"] = MlnetVersion,
                ["model_data"] = ModelFile,
            };
            return (new Dictionary<string, IReadOnlyDictionary<string, object?>> { [Name] = flavor }, signature);
        }, cancellationToken);
    }

    public static ModelSignature InferSignature(ITransformer model, DataViewSchema inputSchema)
    {
        var inputs = MlnetSchemas.Subset(inputSchema, MlnetSchemas.RequiredInputColumns(model, inputSchema));
        var output = model.GetOutputSchema(inputs);
        var predictions = MlnetSchemas.PredictionColumns(output, inputs);
        return new ModelSignature(MlnetTypes.ToSchema(inputs), MlnetTypes.ToSchema(predictions.Select(n => output[n])));
    }

    /// <summary>Loads the flavor of a folder whose MLmodel has already been read.</summary>
    public static MlnetModelRuntime Load(string folder, MlModel model, MLContext? ml = null)
    {
        var config = model.Flavor(Name) ?? throw MlflowException.InvalidParameter($"The model at '{folder}' has no '{Name}' flavor.");
        var file = config.GetValueOrDefault("model_data") as string
            ?? throw MlflowException.InvalidParameter($"The '{Name}' flavor of '{folder}' has no 'model_data' entry.");
        var fullPath = Path.GetFullPath(Path.Combine(folder, file));
        if (!File.Exists(fullPath))
        {
            throw MlflowException.NotFound($"The '{Name}' flavor points to '{file}', which is not in the model folder '{folder}'.");
        }

        ml ??= new MLContext();
        ITransformer transformer;
        DataViewSchema schema;
        using (var stream = File.OpenRead(fullPath))
        {
            try
            {
                transformer = ml.Model.Load(stream, out schema);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidDataException)
            {
                throw MlflowException.InvalidParameter($"'{file}' is not an ML.NET model ML.NET {MlnetVersion} can load: {e.Message}");
            }
        }

        return new MlnetModelRuntime(model, ml, transformer, schema);
    }

    internal static string VersionOf(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return informational?.Split('+')[0] ?? assembly.GetName().Version?.ToString(3) ?? "unknown";
    }
}
