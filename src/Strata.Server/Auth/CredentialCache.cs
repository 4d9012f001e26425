using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Strata.Server.Hosting;

namespace Strata.Server.Auth;

/// <summary>
/// Verified credentials, keyed by the SHA-256 of the whole Authorization header (the header itself is never kept), so
/// a request with credentials seen before costs one hash instead of a PBKDF2 verification or a database read. An
/// entry is good while the auth version it was verified under is current (any password change, revocation, user
/// deletion or grant change bumps it) and for at most the TTL (or until its token expires).
/// </summary>
public sealed class CredentialCache(IOptions<StrataServerOptions> options, TimeProvider time)
{
    private const int MaxEntries = 50_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeSpan _ttl = options.Value.Auth.CredentialCacheTtl;

    public static string Key(string authorizationHeader) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(authorizationHeader)));

    public (StrataUser User, System.Security.Claims.ClaimsPrincipal Principal)? Get(string key, long version)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.Version == version && time.GetUtcNow() < entry.ExpiresAt)
            {
                return (entry.User, entry.Principal);
            }

            _entries.TryRemove(key, out _);
        }

        return null;
    }

    public void Add(string key, StrataUser user, long version, DateTimeOffset? tokenExpiresAt)
    {
        if (_entries.Count >= MaxEntries)
        {
            // Rare (that many distinct live credentials); starting over costs one verification each.
            _entries.Clear();
        }

        var expires = time.GetUtcNow() + _ttl;
        if (tokenExpiresAt is { } t && t < expires)
        {
            expires = t;
        }

        // The principal is built once per verified credential and shared by its requests (nothing mutates it).
        _entries[key] = new Entry(user, user.ToPrincipal(), version, expires);
    }

    private sealed record Entry(StrataUser User, System.Security.Claims.ClaimsPrincipal Principal, long Version, DateTimeOffset ExpiresAt);
}
