namespace Strata.Core.Search;

/// <summary>What a search key refers to. Attribute keys are canonical names (see <see cref="SearchKey"/>).</summary>
public enum KeyKind
{
    Attribute,
    Metric,
    Param,
    Tag,
    Dataset,
    /// <summary>Trace request metadata (<c>metadata.</c>, <c>request_metadata.</c>).</summary>
    Metadata,
    /// <summary>A field of any span of a trace (<c>span.name</c>).</summary>
    Span,
}

public enum Comparator
{
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Like,
    ILike,
    In,
    NotIn,
}

/// <summary>
/// A parsed identifier. For <see cref="KeyKind.Attribute"/> the key is the canonical attribute
/// name of the searched entity (aliases resolved: <c>created</c> → <c>start_time</c>,
/// <c>run name</c> → <c>run_name</c>, <c>timestamp</c> → <c>last_updated_timestamp</c>,
/// <c>source_path</c> stays <c>source_path</c>); for <see cref="KeyKind.Dataset"/> it is
/// <c>name</c>, <c>digest</c> or <c>context</c>.
/// </summary>
public sealed record SearchKey(KeyKind Kind, string Key);

public abstract record SearchValue;

public sealed record StringValue(string Value) : SearchValue;

/// <summary>A numeric literal; <see cref="Text"/> keeps the literal for integer comparisons.</summary>
public sealed record NumberValue(double Value, string Text) : SearchValue;

public sealed record ListValue(IReadOnlyList<string> Values) : SearchValue;

/// <summary>One <c>key comparator value</c> clause. A filter is the AND of its clauses.</summary>
public sealed record Comparison(SearchKey Key, Comparator Comparator, SearchValue Value);

public sealed record OrderTerm(SearchKey Key, bool Ascending);

/// <summary>The entity a filter or order_by is parsed for; each has its own identifiers and comparators (spec §10).</summary>
public enum SearchTarget
{
    Runs,
    Experiments,
    RegisteredModels,
    ModelVersions,
    LoggedModels,
    Traces,
}
