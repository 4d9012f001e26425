using System.Security.Cryptography;
using System.Text;

namespace Strata.Core.Auth;

/// <summary>
/// API token secrets: 256 random bits, base64url, behind a recognisable prefix (so secret scanners can find leaked
/// ones). Only the SHA-256 of a secret is stored: a token has full entropy, so a slow hash would add nothing but
/// latency, and lookup by hash keeps the comparison in the database index rather than in a timing-sensitive loop.
/// </summary>
public static class ApiTokenSecrets
{
    public const string Prefix = "strata_";

    public static string NewSecret() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
