namespace Strata.Core.Search;

internal enum TokenKind
{
    /// <summary>A bare word, possibly dotted (<c>tags.mlflow.runName</c>), or a prefix followed by a quoted key (<c>tags.`my tag`</c>).</summary>
    Identifier,
    /// <summary>A back-quoted name standing alone: always an identifier.</summary>
    BackQuoted,
    SingleQuoted,
    /// <summary>A double-quoted text: a key in key position, a string in value position.</summary>
    DoubleQuoted,
    Number,
    Operator,
    LeftParen,
    RightParen,
    Comma,
    End,
}

/// <summary>
/// One lexical token. <see cref="Position"/> is the 0-based index of its first character in the source text.
/// For identifiers, <see cref="Prefix"/> is the text before the first dot (null when there is none) and
/// <see cref="Value"/> the key; for quoted texts <see cref="Value"/> is the unescaped content.
/// </summary>
internal readonly record struct SearchToken(TokenKind Kind, string Text, string Value, int Position, string? Prefix = null)
{
    /// <summary>True for a bare word without a dot, matched case-insensitively: how keywords are written.</summary>
    public bool IsKeyword(string keyword) =>
        Kind == TokenKind.Identifier && Prefix is null && Text.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    public bool IsBareWord => Kind == TokenKind.Identifier && Prefix is null && Text == Value;

    public bool IsString => Kind is TokenKind.SingleQuoted or TokenKind.DoubleQuoted;

    /// <summary>How the token is shown in error messages.</summary>
    public string Display => Kind == TokenKind.End ? "end of input" : $"'{Text}'";
}
