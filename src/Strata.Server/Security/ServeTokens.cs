using System.Security.Cryptography;
using System.Text;

namespace Strata.Server.Security;

/// <summary>
/// The bearer tokens a standalone scoring server (<c>strata models serve --api-token-file</c> or
/// <c>STRATA_SERVE_TOKENS</c>) accepts. Only their SHA-256 is kept; a presented token is hashed and compared with every
/// kept hash in constant time, so neither the tokens nor the time of a comparison tell anything about them.
/// </summary>
public sealed class ServeTokens
{
    public const string Variable = "STRATA_SERVE_TOKENS";

    /// <summary>Tokens shorter than this are refused at start: a guessable token is no protection.</summary>
    public const int MinimumLength = 16;

    private readonly byte[][] _hashes;

    private ServeTokens(IEnumerable<string> tokens)
    {
        _hashes = tokens.Select(Hash).Distinct(ByteArrayComparer.Instance).ToArray();
    }

    public int Count => _hashes.Length;

    /// <summary>
    /// The tokens of <paramref name="fileText"/> (one per line; blank lines and lines starting with # are skipped) and
    /// of <paramref name="variable"/> (comma-separated); null when neither holds any. Throws
    /// <see cref="ArgumentException"/> for a token too short, naming where it came from but never the token.
    /// </summary>
    public static ServeTokens? From(string? fileText, string? variable, string fileName = "--api-token-file")
    {
        var tokens = new List<string>();
        if (fileText is not null)
        {
            var fromFile = fileText.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            if (fromFile.Count == 0)
            {
                throw new ArgumentException($"{fileName}: the file holds no token (one per line).");
            }

            tokens.AddRange(Checked(fromFile, fileName));
        }

        if (!string.IsNullOrWhiteSpace(variable))
        {
            tokens.AddRange(Checked(variable.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), Variable));
        }

        return tokens.Count == 0 ? null : new ServeTokens(tokens);
    }

    /// <summary>Whether <paramref name="token"/> is one of the tokens; every kept hash is compared, match or not.</summary>
    public bool Accepts(string token, out string callerName)
    {
        var hash = Hash(token);
        var match = -1;
        for (var i = 0; i < _hashes.Length; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, _hashes[i]))
            {
                match = i;
            }
        }

        // A stable name per token (its hash's prefix), so logs and the rate limiter tell callers apart without the token.
        callerName = match >= 0 ? "token:" + Convert.ToHexStringLower(_hashes[match].AsSpan(0, 6)) : string.Empty;
        return match >= 0;
    }

    private static IEnumerable<string> Checked(IEnumerable<string> tokens, string source)
    {
        foreach (var token in tokens)
        {
            if (token.Length < MinimumLength)
            {
                throw new ArgumentException($"{source}: every token must be at least {MinimumLength} characters long (use e.g. `openssl rand -hex 32`).");
            }

            yield return token;
        }
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x is not null && y is not null && x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => BitConverter.ToInt32(obj, 0);
    }
}
