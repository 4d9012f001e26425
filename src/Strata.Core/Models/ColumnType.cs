namespace Strata.Core.Models;

/// <summary>The type of a column spec: a scalar <see cref="DataType"/> or one of MLflow's composite types.</summary>
public abstract record ColumnType
{
    public static ColumnType Of(DataType type) => new ScalarColumnType(type);
}

public sealed record ScalarColumnType(DataType Type) : ColumnType;

/// <summary><c>{"type": "array", "items": ...}</c></summary>
public sealed record ArrayColumnType(ColumnType Items) : ColumnType;

/// <summary><c>{"type": "object", "properties": {...}}</c></summary>
public sealed record ObjectColumnType(IReadOnlyList<ObjectProperty> Properties) : ColumnType;

public sealed record ObjectProperty(string Name, ColumnType Type, bool Required = true);

/// <summary><c>{"type": "map", "values": ...}</c></summary>
public sealed record MapColumnType(ColumnType Values) : ColumnType;

/// <summary><c>{"type": "any"}</c></summary>
public sealed record AnyColumnType : ColumnType;

/// <summary><c>{"type": "sparkml_vector"}</c></summary>
public sealed record SparkMlVectorColumnType : ColumnType;
