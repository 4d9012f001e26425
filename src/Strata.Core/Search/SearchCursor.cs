using Strata.Core.Errors;

namespace Strata.Core.Search;

/// <summary>An identifier as written: its optional prefix, key, and where it starts.</summary>
internal readonly record struct WrittenIdentifier(string? Prefix, string Key, string Text, int Position);

/// <summary>Walks a token list for the recursive-descent parsers and builds their positioned errors.</summary>
internal sealed class SearchCursor
{
    private readonly List<SearchToken> _tokens;
    private readonly Func<string, MlflowException> _error;
    private int _index;

    public SearchCursor(string text, Func<string, MlflowException> error)
    {
        _error = error;
        _tokens = SearchTokenizer.Tokenize(text, error);
    }

    public SearchToken Current => _tokens[_index];

    public SearchToken Peek(int ahead = 1) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    public bool AtEnd => Current.Kind == TokenKind.End;

    public SearchToken Advance()
    {
        var token = Current;
        if (_index < _tokens.Count - 1)
        {
            _index++;
        }
        return token;
    }

    public MlflowException Error(string detail) => _error(detail);

    public MlflowException Unexpected(SearchToken token, string? expected = null) => token.Kind == TokenKind.End
        ? _error($"unexpected end of input at position {token.Position}{(expected is null ? "" : $", expected {expected}")}")
        : _error($"unexpected token {token.Display} at position {token.Position}{(expected is null ? "" : $", expected {expected}")}");

    /// <summary>
    /// Reads the identifier of a clause: <c>prefix.key</c>, a bare attribute, a back- or double-quoted attribute,
    /// or a two-word attribute alias written without quotes (<c>Run name</c>).
    /// </summary>
    public WrittenIdentifier ReadIdentifier(SearchGrammar grammar)
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.BackQuoted or TokenKind.DoubleQuoted:
                Advance();
                return new WrittenIdentifier(null, token.Value, token.Text, token.Position);
            case TokenKind.Identifier when token.Prefix is not null:
                Advance();
                return new WrittenIdentifier(token.Prefix, token.Value, token.Text, token.Position);
            case TokenKind.Identifier:
                {
                    Advance();
                    var next = Current;
                    if (next.IsBareWord && grammar.IsSpacedAttribute($"{token.Value} {next.Value}"))
                    {
                        Advance();
                        return new WrittenIdentifier(null, $"{token.Value} {next.Value}", $"{token.Text} {next.Text}", token.Position);
                    }
                    return new WrittenIdentifier(null, token.Value, token.Text, token.Position);
                }
            default:
                throw Unexpected(token, "an identifier");
        }
    }

    /// <summary>Resolves the prefix of an identifier; an absent prefix means attribute.</summary>
    public KeyKind ResolvePrefix(SearchGrammar grammar, WrittenIdentifier id)
    {
        if (id.Prefix is null)
        {
            return KeyKind.Attribute;
        }
        if (!grammar.TryPrefix(id.Prefix, out var kind))
        {
            throw _error($"invalid entity type '{id.Prefix}' in '{id.Text}' at position {id.Position}; valid prefixes: {grammar.ValidPrefixes}");
        }
        if (id.Key.Length == 0)
        {
            throw _error($"empty key in '{id.Text}' at position {id.Position}");
        }
        return kind;
    }
}
