using Microsoft.ML;
using Microsoft.ML.Data;
using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>Maps ML.NET column types to tensor element types and shapes.</summary>
internal static class MlnetTypes
{
    public static bool TryElementType(DataViewType type, out TensorElementType element, out int width)
    {
        width = 1;
        if (type is VectorDataViewType vector)
        {
            width = vector.Size;
            if (!vector.IsKnownSize)
            {
                element = default;
                return false;
            }

            type = vector.ItemType;
        }

        element = type switch
        {
            _ when type == NumberDataViewType.Single => TensorElementType.Float32,
            _ when type == NumberDataViewType.Double => TensorElementType.Float64,
            _ when type == NumberDataViewType.Int32 => TensorElementType.Int32,
            _ when type == NumberDataViewType.Int64 => TensorElementType.Int64,
            _ when type == NumberDataViewType.Int16 => TensorElementType.Int16,
            _ when type == NumberDataViewType.SByte => TensorElementType.Int8,
            _ when type == NumberDataViewType.Byte => TensorElementType.UInt8,
            _ when type == NumberDataViewType.UInt16 => TensorElementType.UInt16,
            _ when type == NumberDataViewType.UInt32 => TensorElementType.UInt32,
            _ when type == NumberDataViewType.UInt64 => TensorElementType.UInt64,
            BooleanDataViewType => TensorElementType.Bool,
            TextDataViewType => TensorElementType.String,
            DateTimeDataViewType => TensorElementType.DateTime,
            KeyDataViewType key when key.RawType == typeof(uint) => TensorElementType.UInt32,
            KeyDataViewType key when key.RawType == typeof(ulong) => TensorElementType.UInt64,
            KeyDataViewType key when key.RawType == typeof(ushort) => TensorElementType.UInt16,
            KeyDataViewType key when key.RawType == typeof(byte) => TensorElementType.UInt8,
            _ => (TensorElementType)(-1),
        };
        return (int)element >= 0;
    }

    /// <summary>The MLflow column type of a scalar element, when MLflow has one.</summary>
    public static DataType? ColumnDataType(TensorElementType element) => element switch
    {
        TensorElementType.Float32 => DataType.Float,
        TensorElementType.Float64 => DataType.Double,
        TensorElementType.Int32 => DataType.Integer,
        TensorElementType.Int64 => DataType.Long,
        TensorElementType.Bool => DataType.Boolean,
        TensorElementType.String => DataType.String,
        TensorElementType.DateTime => DataType.Datetime,
        _ => null,
    };

    /// <summary>
    /// A schema of columns when every column is a scalar MLflow type (so <c>dataframe_split</c> requests fit),
    /// otherwise a schema of named tensors with the batch dimension -1.
    /// </summary>
    public static ModelSchema ToSchema(IEnumerable<DataViewSchema.Column> columns)
    {
        var list = columns.ToList();
        var described = list.Select(c => TryElementType(c.Type, out var e, out var w)
            ? (c.Name, Element: e, Width: c.Type is VectorDataViewType ? w : 0)
            : throw new NotSupportedException($"Column '{c.Name}' has type {c.Type}, which Strata cannot feed or read (variable-size vector?)")).ToList();
        if (described.All(d => d.Width == 0 && ColumnDataType(d.Element) is not null))
        {
            return ModelSchema.FromColumns(described.Select(d => new ColumnSpec(ColumnDataType(d.Element)!.Value, d.Name)));
        }

        return ModelSchema.FromTensors(described.Select(d =>
            new TensorSpec(d.Element, d.Width == 0 ? [-1] : [-1, d.Width], d.Name)));
    }
}
