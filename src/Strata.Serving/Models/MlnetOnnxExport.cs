using Microsoft.ML;
using Strata.Core.Models;

namespace Strata.Serving.Models;

/// <summary>Exports an ML.NET model to ONNX and logs the result as the <c>onnx</c> flavor.</summary>
public static class MlnetOnnxExport
{
    /// <summary>
    /// Converts <paramref name="model"/> to ONNX. <paramref name="inputOnly"/> must hold only the columns the model reads
    /// (drop Label and the like first), or the ONNX graph demands them as inputs too.
    /// </summary>
    public static byte[] ToOnnx(MLContext ml, ITransformer model, IDataView inputOnly)
    {
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, inputOnly, stream);
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
