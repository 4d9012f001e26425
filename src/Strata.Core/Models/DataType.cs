namespace Strata.Core.Models;

/// <summary>MLflow's scalar column types; the lower-case name is the wire form.</summary>
public enum DataType
{
    Boolean,
    Integer,
    Long,
    Float,
    Double,
    String,
    Binary,
    Datetime,
}

public static class DataTypeNames
{
    public static string ToWire(this DataType type) => type switch
    {
        DataType.Boolean => "boolean",
        DataType.Integer => "integer",
        DataType.Long => "long",
        DataType.Float => "float",
        DataType.Double => "double",
        DataType.String => "string",
        DataType.Binary => "binary",
        DataType.Datetime => "datetime",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? name, out DataType type)
    {
        switch (name)
        {
            case "boolean": type = DataType.Boolean; return true;
            case "integer": type = DataType.Integer; return true;
            case "long": type = DataType.Long; return true;
            case "float": type = DataType.Float; return true;
            case "double": type = DataType.Double; return true;
            case "string": type = DataType.String; return true;
            case "binary": type = DataType.Binary; return true;
            case "datetime": type = DataType.Datetime; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The element type a column of this MLflow type holds in a <see cref="ModelTensor"/>.</summary>
    public static TensorElementType ToElementType(this DataType type) => type switch
    {
        DataType.Boolean => TensorElementType.Bool,
        DataType.Integer => TensorElementType.Int32,
        DataType.Long => TensorElementType.Int64,
        DataType.Float => TensorElementType.Float32,
        DataType.Double => TensorElementType.Float64,
        DataType.String => TensorElementType.String,
        DataType.Binary => TensorElementType.Binary,
        DataType.Datetime => TensorElementType.DateTime,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
