using Microsoft.ML;
using Microsoft.ML.Data;
using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>Copies one output column of an ML.NET row into a typed output buffer, row by row.</summary>
internal abstract class MlnetOutputReader
{
    public abstract void Read(int row);

    /// <summary>Starts a new output of <paramref name="rows"/> rows.</summary>
    public abstract void Reset(int rows);

    public abstract ModelTensor Finish();

    public static MlnetOutputReader Create(DataViewRow row, DataViewSchema.Column column)
    {
        if (!MlnetTypes.TryElementType(column.Type, out var element, out var width))
        {
            throw new NotSupportedException($"Output column '{column.Name}' has type {column.Type}, which Strata cannot return");
        }

        var vector = column.Type is VectorDataViewType;
        return element switch
        {
            TensorElementType.String when vector => new Vector<ReadOnlyMemory<char>, string>(row, column, width, m => m.ToString()),
            TensorElementType.String => new Scalar<ReadOnlyMemory<char>, string>(row, column, m => m.ToString()),
            TensorElementType.Float32 => Make<float>(row, column, width, vector),
            TensorElementType.Float64 => Make<double>(row, column, width, vector),
            TensorElementType.Int32 => Make<int>(row, column, width, vector),
            TensorElementType.Int64 => Make<long>(row, column, width, vector),
            TensorElementType.Int16 => Make<short>(row, column, width, vector),
            TensorElementType.Int8 => Make<sbyte>(row, column, width, vector),
            TensorElementType.UInt8 => Make<byte>(row, column, width, vector),
            TensorElementType.UInt16 => Make<ushort>(row, column, width, vector),
            TensorElementType.UInt32 => Make<uint>(row, column, width, vector),
            TensorElementType.UInt64 => Make<ulong>(row, column, width, vector),
            TensorElementType.Bool => Make<bool>(row, column, width, vector),
            TensorElementType.DateTime => Make<DateTime>(row, column, width, vector),
            _ => throw new NotSupportedException($"Output column '{column.Name}' has type {column.Type}, which Strata cannot return"),
        };
    }

    private static MlnetOutputReader Make<T>(DataViewRow row, DataViewSchema.Column column, int width, bool vector) =>
        vector ? new Vector<T, T>(row, column, width, x => x) : new Scalar<T, T>(row, column, x => x);

    private sealed class Scalar<TRaw, TOut>(DataViewRow row, DataViewSchema.Column column, Func<TRaw, TOut> convert) : MlnetOutputReader
    {
        private readonly ValueGetter<TRaw> _getter = row.GetGetter<TRaw>(column);
        private readonly bool _same = typeof(TRaw) == typeof(TOut);
        private TOut[] _buffer = [];
        private TRaw _value = default!;

        public override void Reset(int rows) => _buffer = new TOut[rows];

        public override void Read(int row)
        {
            if (_same)
            {
                _getter(ref System.Runtime.CompilerServices.Unsafe.As<TOut, TRaw>(ref _buffer[row]));
            }
            else
            {
                _getter(ref _value);
                _buffer[row] = convert(_value);
            }
        }

        public override ModelTensor Finish() => new ModelTensor<TOut>(column.Name, _buffer, [_buffer.Length]);
    }

    private sealed class Vector<TRaw, TOut>(DataViewRow row, DataViewSchema.Column column, int width, Func<TRaw, TOut> convert) : MlnetOutputReader
    {
        private readonly ValueGetter<VBuffer<TRaw>> _getter = row.GetGetter<VBuffer<TRaw>>(column);
        private TOut[] _buffer = [];
        private int _rows;
        private VBuffer<TRaw> _value;

        public override void Reset(int rows)
        {
            _rows = rows;
            _buffer = new TOut[rows * width];
        }

        public override void Read(int row)
        {
            _getter(ref _value);
            var target = _buffer.AsSpan(row * width, width);
            target.Clear();
            // Sparse vectors list only their non-default slots.
            var values = _value.GetValues();
            if (_value.IsDense)
            {
                for (var k = 0; k < values.Length && k < width; k++)
                {
                    target[k] = convert(values[k]);
                }
            }
            else
            {
                var indices = _value.GetIndices();
                for (var k = 0; k < values.Length; k++)
                {
                    target[indices[k]] = convert(values[k]);
                }
            }
        }

        public override ModelTensor Finish() => new ModelTensor<TOut>(column.Name, _buffer, [_rows, width]);
    }
}
