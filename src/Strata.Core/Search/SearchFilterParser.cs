using System.Globalization;
using Strata.Core.Errors;

namespace Strata.Core.Search;

/// <summary>
/// Parses MLflow search filters (<c>metrics.rmse &lt; 1 and params.model = 'lr'</c>) into comparisons,
/// checking each identifier, comparator and value against the rules of the searched entity (spec §10, §5.4).
/// </summary>
public static class SearchFilterParser
{
    public static IReadOnlyList<Comparison> Parse(string? filter, SearchTarget target)
    {
        if (string.IsNullOrWhiteSpace(filter))
        {
            return [];
        }

        var grammar = SearchGrammar.For(target);
        var cursor = new SearchCursor(filter, detail => MlflowException.InvalidParameter($"Invalid filter '{filter}': {detail}"));
        var clauses = new List<Comparison>();
        while (true)
        {
            clauses.Add(ParseClause(cursor, grammar));
            if (cursor.AtEnd)
            {
                return clauses;
            }

            var joiner = cursor.Current;
            if (joiner.IsKeyword("OR"))
            {
                throw cursor.Error($"'{joiner.Text}' at position {joiner.Position} is not supported; clauses can only be joined with AND");
            }
            if (!joiner.IsKeyword("AND"))
            {
                throw cursor.Unexpected(joiner, "AND");
            }
            cursor.Advance();
        }
    }

    private static Comparison ParseClause(SearchCursor cursor, SearchGrammar grammar)
    {
        var first = cursor.Current;
        if (first.Kind == TokenKind.LeftParen)
        {
            throw cursor.Error($"'(' at position {first.Position}: grouping with parentheses is not supported");
        }
        if (first.IsKeyword("NOT"))
        {
            throw cursor.Error($"'{first.Text}' at position {first.Position} is not supported; negate a comparison with != or NOT IN");
        }
        if (first.IsKeyword("OR"))
        {
            throw cursor.Error($"'{first.Text}' at position {first.Position} is not supported; clauses can only be joined with AND");
        }
        if (first.IsKeyword("AND"))
        {
            throw cursor.Unexpected(first, "an identifier");
        }

        var id = cursor.ReadIdentifier(grammar);
        var rule = ResolveKey(cursor, grammar, id);
        var (comparator, comparatorToken) = ReadComparator(cursor);
        if (!rule.Comparators.Contains(comparator))
        {
            throw cursor.Error(
                $"comparator '{comparatorToken.Text}' at position {comparatorToken.Position} is not allowed for '{id.Text}'; allowed: {Describe(rule.Comparators)}");
        }

        var value = comparator is Comparator.In or Comparator.NotIn
            ? ReadList(cursor, grammar, rule)
            : ReadScalar(cursor, rule, id);
        return new Comparison(new SearchKey(rule.Kind, rule.Canonical), comparator, value);
    }

    private static KeyRule ResolveKey(SearchCursor cursor, SearchGrammar grammar, WrittenIdentifier id)
    {
        var kind = cursor.ResolvePrefix(grammar, id);
        switch (kind)
        {
            case KeyKind.Attribute:
                if (!grammar.TryFilterAttribute(id.Key, out var rule))
                {
                    throw cursor.Error(
                        $"invalid attribute key '{id.Key}' at position {id.Position}; valid attributes: {grammar.ValidFilterAttributes}");
                }
                return rule;
            case KeyKind.Dataset:
                if (!grammar.IsDatasetKey(id.Key))
                {
                    throw cursor.Error(
                        $"invalid dataset key '{id.Key}' at position {id.Position}; valid keys: {grammar.ValidDatasetKeys}");
                }
                return grammar.RuleForKey(kind, id.Key);
            case KeyKind.Span:
                if (!grammar.IsSpanKey(id.Key))
                {
                    throw cursor.Error(
                        $"invalid span key '{id.Key}' at position {id.Position}; valid keys: {grammar.ValidSpanKeys}");
                }
                return grammar.RuleForKey(kind, id.Key);
            default:
                return grammar.RuleForKey(kind, id.Key);
        }
    }

    private static (Comparator, SearchToken) ReadComparator(SearchCursor cursor)
    {
        var token = cursor.Advance();
        if (token.Kind == TokenKind.Operator)
        {
            var comparator = token.Text switch
            {
                "=" => Comparator.Equal,
                "!=" => Comparator.NotEqual,
                ">" => Comparator.Greater,
                ">=" => Comparator.GreaterOrEqual,
                "<" => Comparator.Less,
                "<=" => Comparator.LessOrEqual,
                _ => throw cursor.Unexpected(token, "a comparator"),
            };
            return (comparator, token);
        }
        if (token.IsKeyword("LIKE"))
        {
            return (Comparator.Like, token);
        }
        if (token.IsKeyword("ILIKE"))
        {
            return (Comparator.ILike, token);
        }
        if (token.IsKeyword("IN"))
        {
            return (Comparator.In, token);
        }
        if (token.IsKeyword("NOT"))
        {
            var next = cursor.Advance();
            if (!next.IsKeyword("IN"))
            {
                throw cursor.Unexpected(next, "IN after NOT");
            }
            return (Comparator.NotIn, token with { Text = $"{token.Text} {next.Text}" });
        }
        throw cursor.Unexpected(token, "a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN)");
    }

    private static SearchValue ReadScalar(SearchCursor cursor, KeyRule rule, WrittenIdentifier id)
    {
        var token = cursor.Advance();
        if (rule.ValueKind == ValueKind.String)
        {
            if (token.IsString)
            {
                return new StringValue(token.Value);
            }
            if (token.Kind == TokenKind.Number || token.Kind == TokenKind.Identifier)
            {
                throw cursor.Error(
                    $"value {token.Display} for '{id.Text}' at position {token.Position} must be a quoted string");
            }
            throw cursor.Unexpected(token, "a quoted string");
        }

        if (token.Kind != TokenKind.Number)
        {
            if (token.IsString || token.Kind == TokenKind.Identifier)
            {
                throw cursor.Error(
                    $"value {token.Display} for '{id.Text}' at position {token.Position} must be an unquoted number");
            }
            throw cursor.Unexpected(token, "a number");
        }

        var number = double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (rule.ValueKind == ValueKind.Integer && (double.IsInfinity(number) || Math.Floor(number) != number))
        {
            throw cursor.Error($"value {token.Display} for '{id.Text}' at position {token.Position} must be an integer");
        }
        return new NumberValue(number, token.Text);
    }

    private static ListValue ReadList(SearchCursor cursor, SearchGrammar grammar, KeyRule rule)
    {
        var open = cursor.Advance();
        if (open.Kind != TokenKind.LeftParen)
        {
            throw cursor.Error(open.Kind == TokenKind.End
                ? $"unexpected end of input at position {open.Position}, expected a parenthesised list of quoted strings"
                : $"value {open.Display} at position {open.Position} must be a parenthesised list of quoted strings, e.g. ('a', 'b')");
        }
        if (cursor.Current.Kind == TokenKind.RightParen)
        {
            throw cursor.Error($"empty list at position {open.Position}; IN and NOT IN need at least one quoted string");
        }

        var values = new List<string>();
        while (true)
        {
            var item = cursor.Advance();
            if (!item.IsString)
            {
                throw item.Kind is TokenKind.Number or TokenKind.Identifier
                    ? cursor.Error($"list item {item.Display} at position {item.Position} must be a quoted string")
                    : cursor.Unexpected(item, "a quoted string");
            }
            values.Add(item.Value);

            var separator = cursor.Advance();
            if (separator.Kind == TokenKind.RightParen)
            {
                break;
            }
            if (separator.Kind != TokenKind.Comma)
            {
                throw cursor.Unexpected(separator, "',' or ')'");
            }
        }

        // Run ids are stored lowercase; MLflow silently ignores ids written otherwise.
        if (grammar.LowercaseRunIdList && rule is { Kind: KeyKind.Attribute, Canonical: "run_id" })
        {
            values = values.Where(v => string.Equals(v, v.ToLowerInvariant(), StringComparison.Ordinal)).ToList();
        }
        return new ListValue(values);
    }

    private static string Describe(IReadOnlySet<Comparator> comparators) =>
        string.Join(", ", comparators.Order().Select(ComparatorText));

    internal static string ComparatorText(Comparator comparator) => comparator switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "!=",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Less => "<",
        Comparator.LessOrEqual => "<=",
        Comparator.Like => "LIKE",
        Comparator.ILike => "ILIKE",
        Comparator.In => "IN",
        Comparator.NotIn => "NOT IN",
        _ => comparator.ToString(),
    };
}
