using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>Open Inference Protocol datatype names and the element types they carry.</summary>
public static class V2Datatypes
{
    public static string ToV2(TensorElementType type) => type switch
    {
        TensorElementType.Bool => "BOOL",
        TensorElementType.Int8 => "INT8",
        TensorElementType.UInt8 => "UINT8",
        TensorElementType.Int16 => "INT16",
        TensorElementType.UInt16 => "UINT16",
        TensorElementType.Int32 => "INT32",
        TensorElementType.UInt32 => "UINT32",
        TensorElementType.Int64 => "INT64",
        TensorElementType.UInt64 => "UINT64",
        TensorElementType.Float16 => "FP16",
        TensorElementType.Float32 => "FP32",
        TensorElementType.Float64 => "FP64",
        _ => "BYTES",
    };

    public static bool TryParse(string? name, out TensorElementType type)
    {
        switch (name)
        {
            case "BOOL": type = TensorElementType.Bool; return true;
            case "INT8": type = TensorElementType.Int8; return true;
            case "UINT8": type = TensorElementType.UInt8; return true;
            case "INT16": type = TensorElementType.Int16; return true;
            case "UINT16": type = TensorElementType.UInt16; return true;
            case "INT32": type = TensorElementType.Int32; return true;
            case "UINT32": type = TensorElementType.UInt32; return true;
            case "INT64": type = TensorElementType.Int64; return true;
            case "UINT64": type = TensorElementType.UInt64; return true;
            case "FP16": type = TensorElementType.Float16; return true;
            case "FP32": type = TensorElementType.Float32; return true;
            case "FP64": type = TensorElementType.Float64; return true;
            case "BYTES": type = TensorElementType.String; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The codec MLServer records for a column of this MLflow type.</summary>
    public static string ContentType(ColumnType type) => type switch
    {
        ScalarColumnType { Type: DataType.String } => "str",
        ScalarColumnType { Type: DataType.Binary } => "base64",
        ScalarColumnType { Type: DataType.Datetime } => "datetime",
        ScalarColumnType => "np",
        _ => "pd_json",
    };

    internal static bool IsText(TensorElementType type) => type is TensorElementType.String or TensorElementType.Binary or TensorElementType.DateTime;
}
