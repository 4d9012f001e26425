using Strata.Core.Errors;

namespace Strata.Core.Search;

/// <summary>
/// Parses order_by clauses of the form <c>&lt;identifier&gt; [ASC|DESC]</c>. Defaults and tie-breaks are the
/// stores' business; this only checks that each key is orderable for the target and appears once.
/// </summary>
public static class OrderByParser
{
    public static IReadOnlyList<OrderTerm> Parse(IEnumerable<string>? orderBy, SearchTarget target)
    {
        if (orderBy is null)
        {
            return [];
        }

        var grammar = SearchGrammar.For(target);
        var terms = new List<OrderTerm>();
        var seen = new HashSet<SearchKey>();
        foreach (var clause in orderBy)
        {
            // Empty entries (e.g. a bare `order_by=` on GET) carry no ordering.
            if (string.IsNullOrWhiteSpace(clause))
            {
                continue;
            }

            var cursor = new SearchCursor(clause, detail => MlflowException.InvalidParameter($"Invalid order_by clause '{clause}': {detail}"));
            var id = cursor.ReadIdentifier(grammar);
            var key = Resolve(cursor, grammar, id);

            var ascending = true;
            if (cursor.Current.IsKeyword("ASC"))
            {
                cursor.Advance();
            }
            else if (cursor.Current.IsKeyword("DESC"))
            {
                ascending = false;
                cursor.Advance();
            }
            if (!cursor.AtEnd)
            {
                throw cursor.Unexpected(cursor.Current, "ASC, DESC or the end of the clause");
            }

            if (!seen.Add(key))
            {
                throw cursor.Error($"'{id.Text}' at position {id.Position} orders by a field that is already in order_by");
            }
            terms.Add(new OrderTerm(key, ascending));
        }
        return terms;
    }

    private static SearchKey Resolve(SearchCursor cursor, SearchGrammar grammar, WrittenIdentifier id)
    {
        var kind = cursor.ResolvePrefix(grammar, id);
        if (kind == KeyKind.Attribute)
        {
            if (!grammar.TryOrderAttribute(id.Key, out var canonical))
            {
                throw cursor.Error(
                    $"invalid order_by attribute '{id.Key}' at position {id.Position}; valid attributes: {grammar.ValidOrderAttributes}");
            }
            return new SearchKey(KeyKind.Attribute, canonical);
        }
        if (!grammar.AllowsOrderBy(kind))
        {
            throw cursor.Error($"cannot order by '{id.Text}' at position {id.Position}: {kind.ToString().ToLowerInvariant()} keys are not orderable here");
        }
        return new SearchKey(kind, id.Key);
    }
}
