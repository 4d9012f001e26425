using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Strata.Core.Models;
using Ort = Microsoft.ML.OnnxRuntime.Tensors;

namespace Strata.Serving.Runtimes;

/// <summary>
/// One numeric element type as both sides name it (ONNX Runtime's and Strata's), with what serving does with its
/// values without knowing the type statically: hand arrays and tensors to ONNX Runtime in place, and move data between
/// ONNX Runtime values, arrays and tensors. Strings and float16 are not handed over this way.
/// </summary>
internal abstract class OnnxElement
{
    private static readonly OnnxElement[] Numeric =
    [
        new Of<float>(Ort.TensorElementType.Float, TensorElementType.Float32),
        new Of<double>(Ort.TensorElementType.Double, TensorElementType.Float64),
        new Of<int>(Ort.TensorElementType.Int32, TensorElementType.Int32),
        new Of<long>(Ort.TensorElementType.Int64, TensorElementType.Int64),
        new Of<short>(Ort.TensorElementType.Int16, TensorElementType.Int16),
        new Of<sbyte>(Ort.TensorElementType.Int8, TensorElementType.Int8),
        new Of<byte>(Ort.TensorElementType.UInt8, TensorElementType.UInt8),
        new Of<ushort>(Ort.TensorElementType.UInt16, TensorElementType.UInt16),
        new Of<uint>(Ort.TensorElementType.UInt32, TensorElementType.UInt32),
        new Of<ulong>(Ort.TensorElementType.UInt64, TensorElementType.UInt64),
        new Of<bool>(Ort.TensorElementType.Bool, TensorElementType.Bool),
    ];

    private OnnxElement(Ort.TensorElementType ortType, TensorElementType type)
    {
        OrtType = ortType;
        Type = type;
    }

    public Ort.TensorElementType OrtType { get; }

    public TensorElementType Type { get; }

    /// <summary>Null for element types that are not handed over in place.</summary>
    public static OnnxElement? For(Ort.TensorElementType type)
    {
        foreach (var element in Numeric)
        {
            if (element.OrtType == type)
            {
                return element;
            }
        }

        return null;
    }

    /// <inheritdoc cref="For(Ort.TensorElementType)"/>
    public static OnnxElement? For(TensorElementType type)
    {
        foreach (var element in Numeric)
        {
            if (element.Type == type)
            {
                return element;
            }
        }

        return null;
    }

    public abstract Array NewArray(int length);

    /// <summary>An ONNX Runtime value over <paramref name="array"/> (pinned until the value is disposed).</summary>
    public abstract OrtValue Wrap(Array array, long[] shape);

    /// <summary>An ONNX Runtime value over the buffer of <paramref name="tensor"/> (of this element type), not a copy.</summary>
    public abstract OrtValue Wrap(ModelTensor tensor, long[] shape);

    /// <summary>A tensor over <paramref name="array"/> itself (no copy).</summary>
    public abstract ModelTensor Tensor(string name, Array array, int[] shape);

    /// <summary>A tensor over a copy of <paramref name="array"/>.</summary>
    public abstract ModelTensor CopyOut(string name, Array array, int[] shape);

    /// <summary>A tensor over a copy of what ONNX Runtime holds in <paramref name="value"/>.</summary>
    public abstract ModelTensor CopyOut(string name, OrtValue value, int[] shape);

    /// <summary>Copies the values of <paramref name="tensor"/> (of this element type) into <paramref name="array"/>.</summary>
    public abstract void CopyIn(ModelTensor tensor, Array array);

    private sealed class Of<T>(Ort.TensorElementType ortType, TensorElementType type) : OnnxElement(ortType, type)
        where T : unmanaged
    {
        public override Array NewArray(int length) => new T[length];

        public override OrtValue Wrap(Array array, long[] shape) =>
            OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ((T[])array).AsMemory(), shape);

        public override OrtValue Wrap(ModelTensor tensor, long[] shape) =>
            OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, MemoryMarshal.AsMemory(((ModelTensor<T>)tensor).Data), shape);

        public override ModelTensor Tensor(string name, Array array, int[] shape) => new ModelTensor<T>(name, (T[])array, shape);

        public override ModelTensor CopyOut(string name, Array array, int[] shape) => new ModelTensor<T>(name, ((T[])array).ToArray(), shape);

        public override ModelTensor CopyOut(string name, OrtValue value, int[] shape) => new ModelTensor<T>(name, value.GetTensorDataAsSpan<T>().ToArray(), shape);

        public override void CopyIn(ModelTensor tensor, Array array) => ((ModelTensor<T>)tensor).Span.CopyTo((T[])array);
    }
}
