namespace Strata.Core.Models;

/// <summary>The element type of a <see cref="ModelTensor"/> and of a tensor spec (numpy dtype names on the wire).</summary>
public enum TensorElementType
{
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,
    Float32,
    Float64,
    String,
    Binary,
    DateTime,
}

public static class TensorElementTypes
{
    /// <summary>The numpy dtype name MLflow writes in a tensor spec.</summary>
    public static string ToNumpyName(this TensorElementType type) => type switch
    {
        TensorElementType.Bool => "bool",
        TensorElementType.Int8 => "int8",
        TensorElementType.UInt8 => "uint8",
        TensorElementType.Int16 => "int16",
        TensorElementType.UInt16 => "uint16",
        TensorElementType.Int32 => "int32",
        TensorElementType.UInt32 => "uint32",
        TensorElementType.Int64 => "int64",
        TensorElementType.UInt64 => "uint64",
        TensorElementType.Float16 => "float16",
        TensorElementType.Float32 => "float32",
        TensorElementType.Float64 => "float64",
        TensorElementType.String => "str",
        TensorElementType.Binary => "bytes",
        TensorElementType.DateTime => "datetime64[ns]",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParseNumpy(string? dtype, out TensorElementType type)
    {
        type = dtype switch
        {
            "bool" or "bool_" => TensorElementType.Bool,
            "int8" => TensorElementType.Int8,
            "uint8" => TensorElementType.UInt8,
            "int16" => TensorElementType.Int16,
            "uint16" => TensorElementType.UInt16,
            "int32" => TensorElementType.Int32,
            "uint32" => TensorElementType.UInt32,
            "int64" => TensorElementType.Int64,
            "uint64" => TensorElementType.UInt64,
            "float16" => TensorElementType.Float16,
            "float32" => TensorElementType.Float32,
            "float64" => TensorElementType.Float64,
            "str" or "object" or "unicode" => TensorElementType.String,
            "bytes" => TensorElementType.Binary,
            _ when dtype is not null && dtype.StartsWith("datetime64", StringComparison.Ordinal) => TensorElementType.DateTime,
            _ => (TensorElementType)(-1),
        };
        return (int)type >= 0;
    }

    /// <summary>The CLR element type a tensor of this type stores.</summary>
    public static Type ClrType(this TensorElementType type) => type switch
    {
        TensorElementType.Bool => typeof(bool),
        TensorElementType.Int8 => typeof(sbyte),
        TensorElementType.UInt8 => typeof(byte),
        TensorElementType.Int16 => typeof(short),
        TensorElementType.UInt16 => typeof(ushort),
        TensorElementType.Int32 => typeof(int),
        TensorElementType.UInt32 => typeof(uint),
        TensorElementType.Int64 => typeof(long),
        TensorElementType.UInt64 => typeof(ulong),
        TensorElementType.Float16 => typeof(Half),
        TensorElementType.Float32 => typeof(float),
        TensorElementType.Float64 => typeof(double),
        TensorElementType.String => typeof(string),
        TensorElementType.Binary => typeof(byte[]),
        TensorElementType.DateTime => typeof(DateTime),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static TensorElementType FromClr(Type type) =>
        TryFromClr(type, out var t) ? t : throw new ArgumentException($"{type.Name} is not a tensor element type", nameof(type));

    public static bool TryFromClr(Type type, out TensorElementType elementType)
    {
        foreach (var candidate in Enum.GetValues<TensorElementType>())
        {
            if (candidate.ClrType() == type)
            {
                elementType = candidate;
                return true;
            }
        }

        elementType = default;
        return false;
    }

    /// <summary>numpy's "safe" casting between numeric types (what MLflow allows when it casts an input).</summary>
    public static bool CanCastSafely(TensorElementType from, TensorElementType to)
    {
        if (from == to)
        {
            return true;
        }

        static int Rank(TensorElementType t) => t switch
        {
            TensorElementType.Int8 or TensorElementType.UInt8 => 1,
            TensorElementType.Int16 or TensorElementType.UInt16 => 2,
            TensorElementType.Int32 or TensorElementType.UInt32 or TensorElementType.Float32 => 4,
            TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Float64 => 8,
            TensorElementType.Float16 => 2,
            _ => 0,
        };
        static bool IsSigned(TensorElementType t) => t is TensorElementType.Int8 or TensorElementType.Int16 or TensorElementType.Int32 or TensorElementType.Int64;
        static bool IsUnsigned(TensorElementType t) => t is TensorElementType.UInt8 or TensorElementType.UInt16 or TensorElementType.UInt32 or TensorElementType.UInt64;
        static bool IsFloat(TensorElementType t) => t is TensorElementType.Float16 or TensorElementType.Float32 or TensorElementType.Float64;

        if (IsFloat(from))
        {
            return IsFloat(to) && Rank(to) > Rank(from);
        }

        if (IsSigned(from))
        {
            return (IsSigned(to) && Rank(to) > Rank(from)) || IntToFloat(from, to);
        }

        if (IsUnsigned(from))
        {
            return (IsUnsigned(to) && Rank(to) > Rank(from))
                || (IsSigned(to) && Rank(to) > Rank(from))
                || IntToFloat(from, to);
        }

        return false;

        // numpy counts any integer to float64 as safe, narrower floats only when they hold every value.
        static bool IntToFloat(TensorElementType from, TensorElementType to) =>
            to == TensorElementType.Float64 || (IsFloat(to) && Rank(to) > Rank(from));
    }
}
