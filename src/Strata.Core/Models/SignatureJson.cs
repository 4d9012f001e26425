using System.Text.Json;
using Strata.Core.Errors;

namespace Strata.Core.Models;

/// <summary>The JSON forms of schemas and params schemas that MLflow stores as strings inside the MLmodel file.</summary>
public static class SignatureJson
{
    public static string WriteSchema(ModelSchema schema)
    {
        var items = schema.IsTensorBased
            ? schema.Tensors.Select(TensorToTree).ToList()
            : schema.Columns.Select(ColumnToTree).ToList();
        return PythonJson.Write(items);
    }

    public static ModelSchema ReadSchema(string json)
    {
        var tree = ParseOrThrow(json, "schema");
        if (tree is not List<object?> items)
        {
            throw MlflowException.InvalidParameter("A signature schema must be a JSON array of column or tensor specs");
        }

        var tensors = items.Count(i => i is Dictionary<string, object?> d && d.GetValueOrDefault("type") as string == "tensor");
        if (tensors > 0 && tensors != items.Count)
        {
            throw MlflowException.InvalidParameter("A signature schema cannot mix tensor specs with column specs");
        }

        return tensors > 0 && tensors == items.Count
            ? ModelSchema.FromTensors(items.Select(i => ReadTensor(AsMap(i, "tensor spec"))))
            : ModelSchema.FromColumns(items.Select(i => ReadColumn(AsMap(i, "column spec"))));
    }

    public static string WriteParams(IReadOnlyList<ParamSpec> parameters) =>
        PythonJson.Write(parameters.Select(p => new List<KeyValuePair<string, object?>>
        {
            new("name", p.Name),
            new("type", p.Type is ScalarColumnType s ? s.Type.ToWire() : TypeToTree(p.Type)),
            new("default", p.Default),
            new("shape", p.Shape?.Cast<object?>().ToList()),
        }.ToOrderedMap()).ToList());

    public static IReadOnlyList<ParamSpec> ReadParams(string json)
    {
        if (ParseOrThrow(json, "params schema") is not List<object?> items)
        {
            throw MlflowException.InvalidParameter("A params schema must be a JSON array");
        }

        return items.Select(i =>
        {
            var map = AsMap(i, "param spec");
            var name = map.GetValueOrDefault("name") as string
                ?? throw MlflowException.InvalidParameter("A param spec needs a 'name'");
            // Older MLflow wrote the type under "dtype".
            var typeValue = map.GetValueOrDefault("type") ?? map.GetValueOrDefault("dtype");
            var type = typeValue is string s ? ReadType(new Dictionary<string, object?> { ["type"] = s }) : ReadType(AsMap(typeValue, $"type of param '{name}'"));
            var shape = map.GetValueOrDefault("shape") is List<object?> dims ? ReadShape(dims, name) : null;
            return new ParamSpec(name, type, map.GetValueOrDefault("default"), shape);
        }).ToList();
    }

    internal static IReadOnlyDictionary<string, object?> ColumnToTree(ColumnSpec column)
    {
        var map = new List<KeyValuePair<string, object?>>();
        map.AddRange(TypeToTree(column.Type));
        if (column.Name is not null)
        {
            map.Add(new("name", column.Name));
        }

        map.Add(new("required", column.Required));
        return map.ToOrderedMap();
    }

    internal static IReadOnlyDictionary<string, object?> TensorToTree(TensorSpec tensor)
    {
        var map = new List<KeyValuePair<string, object?>>();
        if (tensor.Name is not null)
        {
            map.Add(new("name", tensor.Name));
        }

        map.Add(new("type", "tensor"));
        map.Add(new("tensor-spec", new List<KeyValuePair<string, object?>>
        {
            new("dtype", tensor.Type.ToNumpyName()),
            new("shape", tensor.Shape.Cast<object?>().ToList()),
        }.ToOrderedMap()));
        return map.ToOrderedMap();
    }

    private static Dictionary<string, object?> TypeToTree(ColumnType type) => type switch
    {
        ScalarColumnType s => new() { ["type"] = s.Type.ToWire() },
        ArrayColumnType a => new() { ["type"] = "array", ["items"] = TypeToTree(a.Items) },
        ObjectColumnType o => new()
        {
            ["type"] = "object",
            ["properties"] = o.Properties.ToDictionary(
                p => p.Name,
                p => (object?)new List<KeyValuePair<string, object?>>(TypeToTree(p.Type)) { new("required", p.Required) }.ToOrderedMap()),
        },
        MapColumnType m => new() { ["type"] = "map", ["values"] = TypeToTree(m.Values) },
        AnyColumnType => new() { ["type"] = "any" },
        SparkMlVectorColumnType => new() { ["type"] = "sparkml_vector" },
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    private static ColumnSpec ReadColumn(Dictionary<string, object?> map)
    {
        var name = map.GetValueOrDefault("name") as string;
        var required = map.GetValueOrDefault("required") is not false;
        return new ColumnSpec(ReadType(map), name, required);
    }

    private static ColumnType ReadType(Dictionary<string, object?> map)
    {
        var type = map.GetValueOrDefault("type") as string;
        switch (type)
        {
            case "array":
                return new ArrayColumnType(ReadType(AsMap(map.GetValueOrDefault("items"), "array items")));
            case "map":
                return new MapColumnType(ReadType(AsMap(map.GetValueOrDefault("values"), "map values")));
            case "object":
                var props = AsMap(map.GetValueOrDefault("properties"), "object properties");
                return new ObjectColumnType(props.Select(p =>
                {
                    var prop = AsMap(p.Value, $"property '{p.Key}'");
                    return new ObjectProperty(p.Key, ReadType(prop), prop.GetValueOrDefault("required") is not false);
                }).ToList());
            case "any":
                return new AnyColumnType();
            case "sparkml_vector":
                return new SparkMlVectorColumnType();
            default:
                return DataTypeNames.TryParse(type, out var scalar)
                    ? new ScalarColumnType(scalar)
                    : throw MlflowException.InvalidParameter($"Unsupported column type '{type}' in signature");
        }
    }

    private static TensorSpec ReadTensor(Dictionary<string, object?> map)
    {
        var name = map.GetValueOrDefault("name") as string;
        var spec = AsMap(map.GetValueOrDefault("tensor-spec"), "tensor-spec");
        var dtype = spec.GetValueOrDefault("dtype") as string;
        if (!TensorElementTypes.TryParseNumpy(dtype, out var type))
        {
            throw MlflowException.InvalidParameter($"Unsupported tensor dtype '{dtype}' in signature" + (name is null ? "" : $" (tensor '{name}')"));
        }

        var dims = spec.GetValueOrDefault("shape") as List<object?>
            ?? throw MlflowException.InvalidParameter($"Tensor spec '{name}' has no shape");
        return new TensorSpec(type, ReadShape(dims, name), name);
    }

    private static List<long> ReadShape(List<object?> dims, string? owner) =>
        dims.Select(d => d is long l ? l : throw MlflowException.InvalidParameter($"Shape of '{owner}' must hold integers")).ToList();

    private static Dictionary<string, object?> AsMap(object? value, string what) =>
        value as Dictionary<string, object?> ?? throw MlflowException.InvalidParameter($"Invalid {what} in signature: expected a JSON object");

    private static object? ParseOrThrow(string json, string what)
    {
        try
        {
            return PythonJson.Parse(json);
        }
        catch (JsonException e)
        {
            throw MlflowException.InvalidParameter($"Signature {what} is not valid JSON: {e.Message}");
        }
    }
}
