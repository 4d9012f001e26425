using Microsoft.ML.OnnxRuntime;
using Strata.Core.Models;
using Ort = Microsoft.ML.OnnxRuntime.Tensors;

namespace Strata.Serving.Runtimes;

/// <summary>
/// Outputs whose size is known as soon as the row count is: numeric tensors declared <c>[-1, d1, d2, ...]</c> with fixed
/// trailing dimensions (what exporters write for a scored column). They are allocated as managed arrays and handed to
/// ONNX Runtime to write into, which spares a native allocation, a shape query and a copy per output per call.
/// </summary>
internal sealed class OnnxOutputBuffers
{
    private readonly Slot[] _slots;

    private OnnxOutputBuffers(Slot[] slots) => _slots = slots;

    /// <summary>Null when any of the outputs has a shape or type that is only known after the call.</summary>
    public static OnnxOutputBuffers? TryCreate(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata)
    {
        var slots = new Slot[names.Count];
        for (var i = 0; i < names.Count; i++)
        {
            var node = metadata[names[i]];
            var dims = node.IsTensor ? node.Dimensions : [];
            if (dims.Length == 0 || dims[0] != -1 || dims.Skip(1).Any(d => d <= 0))
            {
                return null;
            }

            Func<string, int[], long[], (ModelTensor, OrtValue)>? create = node.ElementDataType switch
            {
                Ort.TensorElementType.Float => Create<float>,
                Ort.TensorElementType.Double => Create<double>,
                Ort.TensorElementType.Int32 => Create<int>,
                Ort.TensorElementType.Int64 => Create<long>,
                Ort.TensorElementType.Int16 => Create<short>,
                Ort.TensorElementType.Int8 => Create<sbyte>,
                Ort.TensorElementType.UInt8 => Create<byte>,
                Ort.TensorElementType.UInt16 => Create<ushort>,
                Ort.TensorElementType.UInt32 => Create<uint>,
                Ort.TensorElementType.UInt64 => Create<ulong>,
                Ort.TensorElementType.Bool => Create<bool>,
                _ => null,
            };
            if (create is null)
            {
                return null;
            }

            slots[i] = new Slot(names[i], dims[1..], create);
        }

        return new OnnxOutputBuffers(slots);
    }

    /// <summary>The outputs for <paramref name="rows"/> rows: the tensors to return, and ONNX Runtime values over their arrays (dispose those).</summary>
    public (ModelTensor[] Tensors, OrtValue[] Values) Allocate(int rows)
    {
        var tensors = new ModelTensor[_slots.Length];
        var values = new OrtValue[_slots.Length];
        try
        {
            for (var i = 0; i < _slots.Length; i++)
            {
                var slot = _slots[i];
                var shape = new int[slot.Trailing.Length + 1];
                var ortShape = new long[shape.Length];
                shape[0] = rows;
                ortShape[0] = rows;
                for (var d = 0; d < slot.Trailing.Length; d++)
                {
                    shape[d + 1] = slot.Trailing[d];
                    ortShape[d + 1] = slot.Trailing[d];
                }

                (tensors[i], values[i]) = slot.Create(slot.Name, shape, ortShape);
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

    private static (ModelTensor, OrtValue) Create<T>(string name, int[] shape, long[] ortShape)
        where T : unmanaged
    {
        var length = 1;
        foreach (var d in shape)
        {
            length = checked(length * d);
        }

        var data = new T[length];
        return (new ModelTensor<T>(name, data, shape), OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(), ortShape));
    }

    private sealed record Slot(string Name, int[] Trailing, Func<string, int[], long[], (ModelTensor, OrtValue)> Create);
}
