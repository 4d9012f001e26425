namespace Strata.Core.Models;

/// <summary>One column of a column-based schema. A null name makes the column positional.</summary>
public sealed record ColumnSpec(ColumnType Type, string? Name = null, bool Required = true)
{
    public ColumnSpec(DataType Type, string? Name = null, bool Required = true)
        : this(ColumnType.Of(Type), Name, Required)
    {
    }
}

/// <summary>One tensor of a tensor-based schema; -1 in <see cref="Shape"/> is a variable dimension.</summary>
public sealed record TensorSpec(TensorElementType Type, IReadOnlyList<long> Shape, string? Name = null);

/// <summary>
/// The inputs or outputs of a signature: either all columns or all tensors, never mixed (MLflow's rule).
/// </summary>
public sealed record ModelSchema
{
    private ModelSchema(IReadOnlyList<ColumnSpec>? columns, IReadOnlyList<TensorSpec>? tensors)
    {
        Columns = columns ?? [];
        Tensors = tensors ?? [];
        IsTensorBased = tensors is not null;
        _names = IsTensorBased ? Tensors.Select(t => t.Name).ToArray() : Columns.Select(c => c.Name).ToArray();
        HasNames = _names.All(n => n is not null);
    }

    // Computed once: the enforcer reads these on every request.
    private readonly string?[] _names;

    public IReadOnlyList<ColumnSpec> Columns { get; }

    public IReadOnlyList<TensorSpec> Tensors { get; }

    public bool IsTensorBased { get; }

    public int Count => IsTensorBased ? Tensors.Count : Columns.Count;

    /// <summary>True when every entry has a name (inputs are then matched by name, otherwise by position).</summary>
    public bool HasNames { get; }

    public IReadOnlyList<string?> Names => _names;

    public static ModelSchema FromColumns(IEnumerable<ColumnSpec> columns) => new(columns.ToList(), null);

    public static ModelSchema FromTensors(IEnumerable<TensorSpec> tensors) => new(null, tensors.ToList());

    public string ToJson() => SignatureJson.WriteSchema(this);

    public static ModelSchema FromJson(string json) => SignatureJson.ReadSchema(json);
}

/// <summary>One inference parameter: <c>{"name", "type", "default", "shape"}</c>; shape null for a scalar, [-1] for a list.</summary>
public sealed record ParamSpec(string Name, ColumnType Type, object? Default, IReadOnlyList<long>? Shape = null);

/// <summary>A model's signature. Any part may be absent (null), as in MLflow.</summary>
public sealed record ModelSignature(ModelSchema? Inputs, ModelSchema? Outputs, IReadOnlyList<ParamSpec>? Params = null);
