using Strata.Core.Models;

namespace Strata.Serving.Batching;

/// <summary>Joins tensors of several requests along the row dimension, and slices a batch's outputs back per request.</summary>
internal static class TensorRows
{
    /// <summary>Can these inputs become one batch? Same tensors (names, element types, per-row shape) in the same order.</summary>
    public static bool Compatible(ModelInput a, ModelInput b)
    {
        if (a.Tensors.Count != b.Tensors.Count || a.Form != b.Form || !Protocols.InferenceParams.Same(a.Params, b.Params))
        {
            return false;
        }

        for (var i = 0; i < a.Tensors.Count; i++)
        {
            var x = a.Tensors[i];
            var y = b.Tensors[i];
            // Named arrays of different lengths (a model without a signature takes them) have no rows to join along.
            if (a.Form != InputForm.Default && (x.Rows != a.Tensors[0].Rows || y.Rows != b.Tensors[0].Rows))
            {
                return false;
            }

            if (x.Name != y.Name || x.ElementType != y.ElementType || x.Shape.Length != y.Shape.Length || x.Shape.Length == 0
                || !x.Shape.AsSpan(1).SequenceEqual(y.Shape.AsSpan(1)) || !IsSupported(x))
            {
                return false;
            }
        }

        return true;
    }

    public static ModelInput Concat(IReadOnlyList<ModelInput> inputs)
    {
        if (inputs.Count == 1)
        {
            return inputs[0];
        }

        var tensors = new ModelTensor[inputs[0].Tensors.Count];
        var parts = new ModelTensor[inputs.Count];
        for (var t = 0; t < tensors.Length; t++)
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                parts[i] = inputs[i].Tensors[t];
            }

            tensors[t] = parts[0] switch
            {
                ModelTensor<float> => Concat<float>(parts),
                ModelTensor<double> => Concat<double>(parts),
                ModelTensor<int> => Concat<int>(parts),
                ModelTensor<long> => Concat<long>(parts),
                ModelTensor<bool> => Concat<bool>(parts),
                ModelTensor<string> => Concat<string>(parts),
                _ => throw new NotSupportedException(parts[0].ElementType.ToString()),
            };
        }

        return new ModelInput(tensors) { Params = inputs[0].Params, Form = inputs[0].Form };
    }

    /// <summary>The rows [start, start + rows) of a batch output; the buffer is shared, not copied.</summary>
    public static ModelTensor Slice(ModelTensor tensor, int start, int rows)
    {
        var width = tensor.RowWidth;
        var shape = (int[])tensor.Shape.Clone();
        shape[0] = rows;
        return tensor switch
        {
            ModelTensor<float> t => new ModelTensor<float>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<double> t => new ModelTensor<double>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<int> t => new ModelTensor<int>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<long> t => new ModelTensor<long>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<bool> t => new ModelTensor<bool>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<string> t => new ModelTensor<string>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<uint> t => new ModelTensor<uint>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            ModelTensor<ulong> t => new ModelTensor<ulong>(t.Name, t.Data.Slice(start * width, rows * width), shape),
            _ => throw new NotSupportedException(tensor.ElementType.ToString()),
        };
    }

    public static bool CanSlice(ModelTensor tensor) =>
        tensor.Shape.Length > 0 && tensor is ModelTensor<float> or ModelTensor<double> or ModelTensor<int> or ModelTensor<long>
            or ModelTensor<bool> or ModelTensor<string> or ModelTensor<uint> or ModelTensor<ulong>;

    private static bool IsSupported(ModelTensor t) =>
        t is ModelTensor<float> or ModelTensor<double> or ModelTensor<int> or ModelTensor<long> or ModelTensor<bool> or ModelTensor<string>;

    private static ModelTensor<T> Concat<T>(ModelTensor[] parts)
    {
        var total = 0;
        var rows = 0;
        foreach (var p in parts)
        {
            total += p.Length;
            rows += p.Rows;
        }

        var values = new T[total];
        var offset = 0;
        foreach (var p in parts)
        {
            var span = ((ModelTensor<T>)p).Span;
            span.CopyTo(values.AsSpan(offset));
            offset += span.Length;
        }

        var shape = (int[])parts[0].Shape.Clone();
        shape[0] = rows;
        return new ModelTensor<T>(parts[0].Name, values, shape);
    }
}
