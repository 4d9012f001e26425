using Microsoft.ML;
using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Models;

/// <summary>Exports an ML.NET model to ONNX and logs the result as the <c>onnx</c> flavor.</summary>
public static class MlnetOnnxExport
{
    /// <summary>
    /// Converts <paramref name="model"/> to ONNX. <paramref name="inputOnly"/> must hold only the columns the model reads
    /// (drop Label and the like first), or the ONNX graph demands them as inputs too. The graph's outputs are the
    /// model's prediction columns (ML.NET names them <c>&lt;column&gt;.output</c>) unless <paramref name="outputColumns"/> says otherwise.
    /// </summary>
    public static byte[] ToOnnx(MLContext ml, ITransformer model, IDataView inputOnly, IReadOnlyList<string>? outputColumns = null)
    {
        outputColumns ??= MlnetSchemas.PredictionColumns(model.GetOutputSchema(inputOnly.Schema), inputOnly.Schema);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, inputOnly, stream, outputColumns.ToArray());
        return stream.ToArray();
    }

    public static Task<MlModel> SaveAsOnnxAsync(
        string path,
        MLContext ml,
        ITransformer model,
        IDataView inputOnly,
        ModelSaveOptions? options = null,
        OnnxSaveOptions? onnxOptions = null,
        CancellationToken cancellationToken = default) =>
        OnnxFlavor.SaveAsync(path, ToOnnx(ml, model, inputOnly), options, onnxOptions, cancellationToken);
}
