using Microsoft.ML.OnnxRuntime;
using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// Outputs whose size is known as soon as the row count is: numeric tensors declared <c>[-1, d1, d2, ...]</c> with fixed
/// trailing dimensions (what exporters write for a scored column). They are allocated as managed arrays and handed to
/// ONNX Runtime to write into, which spares a native allocation, a shape query and a copy per output per call.
/// </summary>
internal sealed class OnnxOutputBuffers
{
    private OnnxOutputBuffers(IReadOnlyList<RowShape> outputs) => Outputs = outputs;

    public IReadOnlyList<RowShape> Outputs { get; }

    /// <summary>Null when any of the outputs has a shape or type that is only known after the call.</summary>
    public static OnnxOutputBuffers? TryCreate(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        var outputs = new RowShape[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            if (RowShape.TryCreate(names[i], metadata[names[i]]) is not { } shape)
            {
                return null;
            }

            outputs[i] = shape;
        }

        return new OnnxOutputBuffers(outputs);
    }

    /// <summary>The outputs for <paramref name="rows"/> rows: the tensors to return, and ONNX Runtime values over their arrays (dispose those).</summary>
    public (ModelTensor[] Tensors, OrtValue[] Values) Allocate(int rows)
    {
        var tensors = new ModelTensor[Outputs.Count];
        var values = new OrtValue[Outputs.Count];
        try
        {
            for (var i = 0; i < Outputs.Count; i++)
            {
                var output = Outputs[i];
                var (shape, ortShape) = output.For(rows);
                var array = output.Element.NewArray(output.RowWidth * rows);
                tensors[i] = output.Element.Tensor(output.Name, array, shape);
                values[i] = output.Element.Wrap(array, ortShape);
            }
        }
        catch
        {
            foreach (var value in values)
            {
                value?.Dispose();
            }

            throw;
        }

        return (tensors, values);
    }
}

/// <summary>A graph value declared <c>[-1, d1, ...]</c> with fixed trailing dimensions, of an element type handed over in place.</summary>
internal sealed record RowShape(string Name, OnnxElement Element, int[] Trailing, int RowWidth)
{
    public static RowShape? TryCreate(string name, NodeMetadata node)
    {
        var dims = node.IsTensor ? node.Dimensions : [];
        if (dims.Length == 0 || dims[0] != -1 || dims.Skip(1).Any(d => d <= 0) || OnnxElement.For(node.ElementDataType) is not { } element)
        {
            return null;
        }

        var trailing = dims[1..];
        return new RowShape(name, element, trailing, trailing.Aggregate(1, (a, d) => checked(a * d)));
    }

    /// <summary>The shape for <paramref name="rows"/> rows, as a tensor's and as ONNX Runtime's.</summary>
    public (int[] Shape, long[] OrtShape) For(int rows)
    {
        var shape = new int[Trailing.Length + 1];
        var ortShape = new long[shape.Length];
        shape[0] = rows;
        ortShape[0] = rows;
        for (var d = 0; d < Trailing.Length; d++)
        {
            shape[d + 1] = Trailing[d];
            ortShape[d + 1] = Trailing[d];
        }

        return (shape, ortShape);
    }
}
