using Strata.Core.Search;

namespace Strata.Core.Traces;

/// <summary>
/// Parses a trace filter and order_by with the trace grammar (<see cref="SearchTarget.Traces"/>) and rewrites
/// MLflow's shorthand keys: <c>name</c> is the tag <c>mlflow.traceName</c>; ordering by <c>run_id</c> is ordering
/// by the metadata <c>mlflow.sourceRun</c>. A <c>run_id</c> filter stays an attribute: it also matches traces
/// linked to the run, which the store resolves.
/// </summary>
public static class TraceSearch
{
    public static IReadOnlyList<Comparison> ParseFilter(string? filter) =>
        SearchFilterParser.Parse(filter, SearchTarget.Traces).Select(Rewrite).ToList();

    public static IReadOnlyList<OrderTerm> ParseOrderBy(IReadOnlyList<string> orderBy) =>
        OrderByParser.Parse(orderBy, SearchTarget.Traces).Select(t => t with { Key = RewriteOrderKey(t.Key) }).ToList();

    private static Comparison Rewrite(Comparison c) => c.Key is { Kind: KeyKind.Attribute, Key: "name" }
        ? c with { Key = new SearchKey(KeyKind.Tag, TraceKeys.TraceName) }
        : c;

    private static SearchKey RewriteOrderKey(SearchKey key) => key switch
    {
        { Kind: KeyKind.Attribute, Key: "name" } => new SearchKey(KeyKind.Tag, TraceKeys.TraceName),
        { Kind: KeyKind.Attribute, Key: "run_id" } => new SearchKey(KeyKind.Metadata, TraceKeys.SourceRun),
        _ => key,
    };
}
