using System.Globalization;

namespace Strata.Core.Models;

/// <summary>
/// A named, typed block of values in row-major order with a shape: a column of a table (shape <c>[rows]</c>, or
/// <c>[rows, k]</c> for a fixed-size vector per row) or a tensor. Values live in one flat typed buffer, so a serving
/// layer can parse JSON straight into it (from pooled arrays if it likes) and a runtime can hand it to ML.NET or
/// ONNX Runtime without boxing.
/// </summary>
public abstract class ModelTensor
{
    private protected ModelTensor(string name, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Shape = shape;
    }

    public string Name { get; }

    public abstract TensorElementType ElementType { get; }

    /// <summary>Dimensions; the first is the row (batch) count for columns and batched tensors.</summary>
    public int[] Shape { get; }

    /// <summary>Number of values in the buffer.</summary>
    public abstract int Length { get; }

    public int Rows => Shape.Length == 0 ? 1 : Shape[0];

    /// <summary>Values per row: the product of every dimension after the first.</summary>
    public int RowWidth
    {
        get
        {
            var width = 1;
            for (var i = 1; i < Shape.Length; i++)
            {
                width *= Shape[i];
            }

            return width;
        }
    }

    public long ShapeProduct()
    {
        long n = 1;
        foreach (var d in Shape)
        {
            n *= d;
        }

        return n;
    }

    public string ShapeText => "(" + string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + (Shape.Length == 1 ? ",)" : ")");

    /// <summary>The value at a flat index, boxed; for tests, messages and slow paths only.</summary>
    public abstract object? GetBoxed(int index);

    /// <summary>The same buffer under another shape (and optionally another name); nothing is copied.</summary>
    public abstract ModelTensor Reshape(int[] shape, string? name = null);

    /// <summary>A column: one value per row.</summary>
    public static ModelTensor<T> Column<T>(string name, T[] values) => new(name, values, [values.Length]);

    /// <summary>A tensor over <paramref name="values"/> (row-major) with the given shape.</summary>
    public static ModelTensor<T> Create<T>(string name, ReadOnlyMemory<T> values, params int[] shape) => new(name, values, shape);
}

public sealed class ModelTensor<T> : ModelTensor
{
    private static readonly TensorElementType Element = TensorElementTypes.FromClr(typeof(T));

    public ModelTensor(string name, ReadOnlyMemory<T> data, int[] shape)
        : base(name, shape)
    {
        Data = data;
    }

    public ReadOnlyMemory<T> Data { get; }

    public ReadOnlySpan<T> Span => Data.Span;

    public override TensorElementType ElementType => Element;

    public override int Length => Data.Length;

    public override object? GetBoxed(int index) => Data.Span[index];

    public override ModelTensor Reshape(int[] shape, string? name = null) => new ModelTensor<T>(name ?? Name, Data, shape);
}
