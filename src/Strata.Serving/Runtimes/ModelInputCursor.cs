using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// Presents the rows of a <see cref="ModelInput"/> to ML.NET. Used two ways: as the single input row of a pooled
/// prediction engine (moved with <see cref="Seek"/>), and as the cursor of <see cref="ModelInputDataView"/> for the
/// batch path. Getters read straight from the typed buffers: no per-row objects.
/// </summary>
internal sealed class ModelInputCursor : DataViewRowCursor
{
    private readonly Delegate[] _getters;
    private readonly ModelTensor?[] _columns;
    private readonly bool[] _active;
    private long _position = -1;
    private int _row = -1;
    private int _rowCount;

    public ModelInputCursor(DataViewSchema schema, IEnumerable<DataViewSchema.Column>? active = null)
    {
        Schema = schema;
        _columns = new ModelTensor?[schema.Count];
        _active = new bool[schema.Count];
        foreach (var c in active ?? schema)
        {
            _active[c.Index] = true;
        }

        _getters = schema.Select(CreateGetter).ToArray();
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _position;

    public override long Batch => 0;

    /// <summary>Points the cursor at new input. <paramref name="input"/> must hold one tensor per schema column, in order
    /// (a null tensor reads as the default value).</summary>
    public void Bind(IReadOnlyList<ModelTensor?> input, int rowCount)
    {
        for (var i = 0; i < _columns.Length; i++)
        {
            _columns[i] = input[i];
        }

        _rowCount = rowCount;
        _row = -1;
    }

    /// <summary>Drops the references to the last input so a pooled engine does not keep a request's buffers alive.</summary>
    public void Unbind()
    {
        Array.Clear(_columns);
        _rowCount = 0;
        _row = -1;
    }

    /// <summary>Moves to a row; the position always advances so ML.NET's per-position caches never serve a stale value.</summary>
    public void Seek(int row)
    {
        _row = row;
        _position++;
    }

    public override bool MoveNext()
    {
        if (_row + 1 >= _rowCount)
        {
            return false;
        }

        Seek(_row + 1);
        return true;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() =>
        (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

    public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        _getters[column.Index] as ValueGetter<TValue>
        ?? throw new InvalidOperationException($"Column '{column.Name}' is read as {_getters[column.Index].GetType()}, not {typeof(TValue)}");

    private Delegate CreateGetter(DataViewSchema.Column column)
    {
        var i = column.Index;
        if (!MlnetTypes.TryElementType(column.Type, out var element, out var width))
        {
            throw new NotSupportedException($"Input column '{column.Name}' has type {column.Type}, which Strata cannot feed");
        }

        var vector = column.Type is VectorDataViewType;
        return element switch
        {
            TensorElementType.String when vector => VectorGetter<string, ReadOnlyMemory<char>>(i, width, s => s.AsMemory()),
            TensorElementType.String => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) =>
                v = _columns[i] is ModelTensor<string> t ? t.Span[_row].AsMemory() : default),
            TensorElementType.Float32 => Make<float>(i, width, vector),
            TensorElementType.Float64 => Make<double>(i, width, vector),
            TensorElementType.Int32 => Make<int>(i, width, vector),
            TensorElementType.Int64 => Make<long>(i, width, vector),
            TensorElementType.Int16 => Make<short>(i, width, vector),
            TensorElementType.Int8 => Make<sbyte>(i, width, vector),
            TensorElementType.UInt8 => Make<byte>(i, width, vector),
            TensorElementType.UInt16 => Make<ushort>(i, width, vector),
            TensorElementType.UInt32 => Make<uint>(i, width, vector),
            TensorElementType.UInt64 => Make<ulong>(i, width, vector),
            TensorElementType.Bool => Make<bool>(i, width, vector),
            TensorElementType.DateTime => Make<DateTime>(i, width, vector),
            _ => throw new NotSupportedException($"Input column '{column.Name}' has type {column.Type}, which Strata cannot feed"),
        };
    }

    private Delegate Make<T>(int i, int width, bool vector) =>
        vector ? VectorGetter<T, T>(i, width, x => x) : ScalarGetter<T>(i);

    private ValueGetter<T> ScalarGetter<T>(int i) => (ref T value) =>
    {
        value = _columns[i] switch
        {
            ModelTensor<T> t => t.Span[_row],
            null => default!,
            var other => throw TypeMismatch(i, other),
        };
    };

    private ValueGetter<VBuffer<TOut>> VectorGetter<TIn, TOut>(int i, int width, Func<TIn, TOut> convert) => (ref VBuffer<TOut> value) =>
    {
        var editor = VBufferEditor.Create(ref value, width);
        switch (_columns[i])
        {
            case ModelTensor<TIn> t:
                var source = t.Span.Slice(_row * width, width);
                if (typeof(TIn) == typeof(TOut))
                {
                    MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TIn, TOut>(ref MemoryMarshal.GetReference(source)), width)
                        .CopyTo(editor.Values);
                }
                else
                {
                    for (var k = 0; k < width; k++)
                    {
                        editor.Values[k] = convert(source[k]);
                    }
                }

                break;
            case null:
                editor.Values.Clear();
                break;
            case var other:
                throw TypeMismatch(i, other);
        }

        value = editor.Commit();
    };

    private MlflowException TypeMismatch(int i, ModelTensor tensor) =>
        MlflowException.InvalidParameter(
            $"Input '{Schema[i].Name}' holds {tensor.ElementType.ToNumpyName()} values but the model reads {Schema[i].Type}.");
}

/// <summary>A <see cref="ModelInput"/> seen as an ML.NET data view, for scoring many rows with one Transform.</summary>
internal sealed class ModelInputDataView(DataViewSchema schema, IReadOnlyList<ModelTensor?> columns, int rowCount) : IDataView
{
    public bool CanShuffle => false;

    public DataViewSchema Schema { get; } = schema;

    public long? GetRowCount() => rowCount;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var cursor = new ModelInputCursor(Schema, columnsNeeded);
        cursor.Bind(columns, rowCount);
        return cursor;
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
