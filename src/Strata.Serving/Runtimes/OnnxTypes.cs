using Strata.Core.Models;
using Ort = Microsoft.ML.OnnxRuntime.Tensors;

namespace Strata.Serving.Runtimes;

internal static class OnnxTypes
{
    public static bool TryElementType(Ort.TensorElementType type, out TensorElementType element)
    {
        element = type switch
        {
            Ort.TensorElementType.Float => TensorElementType.Float32,
            Ort.TensorElementType.Double => TensorElementType.Float64,
            Ort.TensorElementType.Int32 => TensorElementType.Int32,
            Ort.TensorElementType.Int64 => TensorElementType.Int64,
            Ort.TensorElementType.Int16 => TensorElementType.Int16,
            Ort.TensorElementType.Int8 => TensorElementType.Int8,
            Ort.TensorElementType.UInt8 => TensorElementType.UInt8,
            Ort.TensorElementType.UInt16 => TensorElementType.UInt16,
            Ort.TensorElementType.UInt32 => TensorElementType.UInt32,
            Ort.TensorElementType.UInt64 => TensorElementType.UInt64,
            Ort.TensorElementType.Bool => TensorElementType.Bool,
            Ort.TensorElementType.String => TensorElementType.String,
            Ort.TensorElementType.Float16 => TensorElementType.Float16,
            _ => (TensorElementType)(-1),
        };
        return (int)element >= 0;
    }

    public static TensorSpec ToSpec(string name, Microsoft.ML.OnnxRuntime.NodeMetadata node)
    {
        if (!node.IsTensor || !TryElementType(node.ElementDataType, out var element))
        {
            throw new NotSupportedException($"ONNX value '{name}' is a {node.OnnxValueType} of {node.ElementDataType}, which Strata cannot feed or return");
        }

        // Symbolic dimensions ("N", "batch") come back as -1, which is exactly MLflow's variable dimension.
        return new TensorSpec(element, node.Dimensions.Select(d => (long)d).ToList(), name);
    }
}
