using Strata.Core.Errors;

namespace Strata.Core.Search;

/// <summary>
/// Splits a filter or order_by clause into tokens the way SQL would: words, quoted names and strings,
/// numbers, comparison operators, parentheses and commas. Errors name the character and its position.
/// </summary>
internal sealed class SearchTokenizer
{
    private readonly string _text;
    private readonly Func<string, MlflowException> _error;
    private int _pos;

    private SearchTokenizer(string text, Func<string, MlflowException> error)
    {
        _text = text;
        _error = error;
    }

    /// <param name="error">Builds the exception for a detail message (the caller knows how to name the whole input).</param>
    public static List<SearchToken> Tokenize(string text, Func<string, MlflowException> error)
    {
        var tokenizer = new SearchTokenizer(text, error);
        var tokens = new List<SearchToken>();
        SearchToken token;
        do
        {
            token = tokenizer.Next();
            tokens.Add(token);
        }
        while (token.Kind != TokenKind.End);
        return tokens;
    }

    private SearchToken Next()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos]))
        {
            _pos++;
        }

        if (_pos >= _text.Length)
        {
            return new SearchToken(TokenKind.End, "", "", _text.Length);
        }

        var start = _pos;
        var c = _text[_pos];
        switch (c)
        {
            case '(':
                _pos++;
                return new SearchToken(TokenKind.LeftParen, "(", "(", start);
            case ')':
                _pos++;
                return new SearchToken(TokenKind.RightParen, ")", ")", start);
            case ',':
                _pos++;
                return new SearchToken(TokenKind.Comma, ",", ",", start);
            case '=':
                _pos++;
                return new SearchToken(TokenKind.Operator, "=", "=", start);
            case '<' or '>':
                _pos++;
                if (_pos < _text.Length && _text[_pos] == '=')
                {
                    _pos++;
                }
                return Slice(TokenKind.Operator, start);
            case '!':
                if (_pos + 1 < _text.Length && _text[_pos + 1] == '=')
                {
                    _pos += 2;
                    return new SearchToken(TokenKind.Operator, "!=", "!=", start);
                }
                throw Unexpected(start);
            case '\'':
                {
                    var value = ReadQuoted('\'');
                    return new SearchToken(TokenKind.SingleQuoted, _text[start.._pos], value, start);
                }
            case '"':
                {
                    var value = ReadQuoted('"');
                    return new SearchToken(TokenKind.DoubleQuoted, _text[start.._pos], value, start);
                }
            case '`':
                {
                    var value = ReadQuoted('`');
                    return new SearchToken(TokenKind.BackQuoted, _text[start.._pos], value, start);
                }
        }

        if (char.IsDigit(c) || ((c is '-' or '+' or '.') && StartsNumber(_pos)))
        {
            return ReadNumber(start);
        }

        if (IsWordStart(c))
        {
            return ReadIdentifier(start);
        }

        throw Unexpected(start);
    }

    private bool StartsNumber(int at)
    {
        if (_text[at] is '-' or '+')
        {
            at++;
        }
        if (at < _text.Length && _text[at] == '.')
        {
            at++;
        }
        return at < _text.Length && char.IsDigit(_text[at]);
    }

    private SearchToken ReadNumber(int start)
    {
        if (_text[_pos] is '-' or '+')
        {
            _pos++;
        }
        SkipDigits();
        if (_pos < _text.Length && _text[_pos] == '.')
        {
            _pos++;
            SkipDigits();
        }
        if (_pos < _text.Length && _text[_pos] is 'e' or 'E')
        {
            var exponent = _pos + 1;
            if (exponent < _text.Length && _text[exponent] is '+' or '-')
            {
                exponent++;
            }
            if (exponent >= _text.Length || !char.IsDigit(_text[exponent]))
            {
                throw _error($"malformed number '{_text[start..Math.Min(exponent, _text.Length)]}' at position {start}");
            }
            _pos = exponent;
            SkipDigits();
        }
        // A number glued to a word (1abc, 1.2.3) is not a number: report the first stray character.
        if (_pos < _text.Length && (IsWordPart(_text[_pos]) || _text[_pos] == '.'))
        {
            throw Unexpected(_pos);
        }
        var text = _text[start.._pos];
        return new SearchToken(TokenKind.Number, text, text, start);
    }

    private void SkipDigits()
    {
        while (_pos < _text.Length && char.IsDigit(_text[_pos]))
        {
            _pos++;
        }
    }

    private SearchToken ReadIdentifier(int start)
    {
        while (_pos < _text.Length && (IsWordPart(_text[_pos]) || _text[_pos] == '.'))
        {
            _pos++;
        }

        var word = _text[start.._pos];
        var dot = word.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return new SearchToken(TokenKind.Identifier, word, word, start);
        }

        var prefix = word[..dot];
        var key = word[(dot + 1)..];
        // prefix.`quoted key` or prefix."quoted key": the quoted part is the key.
        if (key.Length == 0 && _pos < _text.Length && _text[_pos] is '`' or '"')
        {
            key = ReadQuoted(_text[_pos]);
        }
        else if (key.Length == 0)
        {
            throw _error($"missing key after '{word}' at position {_pos}");
        }
        return new SearchToken(TokenKind.Identifier, _text[start.._pos], key, start, prefix);
    }

    /// <summary>Reads a quoted text starting at the opening quote; a doubled quote or a backslash-quote stands for the quote itself.</summary>
    private string ReadQuoted(char quote)
    {
        var start = _pos;
        _pos++;
        var value = new System.Text.StringBuilder();
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == quote)
            {
                if (_pos + 1 < _text.Length && _text[_pos + 1] == quote)
                {
                    value.Append(quote);
                    _pos += 2;
                    continue;
                }
                _pos++;
                return value.ToString();
            }
            if (c == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] == quote)
            {
                value.Append(quote);
                _pos += 2;
                continue;
            }
            value.Append(c);
            _pos++;
        }
        throw _error($"unterminated quoted text starting at position {start}");
    }

    private static bool IsWordStart(char c) => char.IsLetter(c) || c == '_';

    private static bool IsWordPart(char c) => char.IsLetterOrDigit(c) || c == '_';

    private MlflowException Unexpected(int at) => _error($"unexpected character '{_text[at]}' at position {at}");

    private SearchToken Slice(TokenKind kind, int start)
    {
        var text = _text[start.._pos];
        return new SearchToken(kind, text, text, start);
    }
}
