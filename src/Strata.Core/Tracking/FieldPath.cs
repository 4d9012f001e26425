namespace Strata.Core.Tracking;

/// <summary>
/// Where a field sits in a request (<c>metrics[3]</c>), turned into text only when an error names
/// it, so validating a 1000-item batch allocates no path strings.
/// </summary>
public readonly struct FieldPath(string collection, int index)
{
    private readonly string? _collection = collection;

    /// <summary>The request's top level: fields are named bare (<c>key</c>).</summary>
    public static FieldPath Root => default;

    public string Field(string name) => _collection is null ? name : $"{_collection}[{index}].{name}";

    public override string ToString() => _collection is null ? string.Empty : $"{_collection}[{index}]";
}
