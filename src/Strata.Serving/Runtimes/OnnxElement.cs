using Microsoft.ML.OnnxRuntime;
using Strata.Core.Models;
using Ort = Microsoft.ML.OnnxRuntime.Tensors;

namespace Strata.Serving.Runtimes;

/// <summary>
/// What the ONNX runtime needs to do with arrays of one numeric element type without knowing it statically: make an
/// array, wrap it as an ONNX Runtime value ONNX Runtime reads or writes in place, and move data between it and tensors.
/// </summary>
internal abstract class OnnxElement
{
    public abstract TensorElementType Type { get; }

    /// <summary>Null for element types that cannot be handed over in place (strings, float16).</summary>
    public static OnnxElement? For(Ort.TensorElementType type) => type switch
    {
        Ort.TensorElementType.Float => new Of<float>(TensorElementType.Float32),
        Ort.TensorElementType.Double => new Of<double>(TensorElementType.Float64),
        Ort.TensorElementType.Int32 => new Of<int>(TensorElementType.Int32),
        Ort.TensorElementType.Int64 => new Of<long>(TensorElementType.Int64),
        Ort.TensorElementType.Int16 => new Of<short>(TensorElementType.Int16),
        Ort.TensorElementType.Int8 => new Of<sbyte>(TensorElementType.Int8),
        Ort.TensorElementType.UInt8 => new Of<byte>(TensorElementType.UInt8),
        Ort.TensorElementType.UInt16 => new Of<ushort>(TensorElementType.UInt16),
        Ort.TensorElementType.UInt32 => new Of<uint>(TensorElementType.UInt32),
        Ort.TensorElementType.UInt64 => new Of<ulong>(TensorElementType.UInt64),
        Ort.TensorElementType.Bool => new Of<bool>(TensorElementType.Bool),
        _ => null,
    };

    public abstract Array NewArray(int length);

    /// <summary>An ONNX Runtime value over <paramref name="array"/> (pinned until the value is disposed).</summary>
    public abstract OrtValue Wrap(Array array, long[] shape);

    /// <summary>A tensor over <paramref name="array"/> itself (no copy).</summary>
    public abstract ModelTensor Tensor(string name, Array array, int[] shape);

    /// <summary>A tensor over a copy of <paramref name="array"/>.</summary>
    public abstract ModelTensor CopyOut(string name, Array array, int[] shape);

    /// <summary>Copies the values of <paramref name="tensor"/> (of this element type) into <paramref name="array"/>.</summary>
    public abstract void CopyIn(ModelTensor tensor, Array array);

    private sealed class Of<T>(TensorElementType type) : OnnxElement
        where T : unmanaged
    {
        public override TensorElementType Type => type;

        public override Array NewArray(int length) => new T[length];

        public override OrtValue Wrap(Array array, long[] shape) =>
            OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((T[])array).AsMemory(), shape);

        public override ModelTensor Tensor(string name, Array array, int[] shape) => new ModelTensor<T>(name, (T[])array, shape);

        public override ModelTensor CopyOut(string name, Array array, int[] shape) => new ModelTensor<T>(name, ((T[])array).ToArray(), shape);

        public override void CopyIn(ModelTensor tensor, Array array) => ((ModelTensor<T>)tensor).Span.CopyTo((T[])array);
    }
}
