using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Strata.Server.Hosting;

namespace Strata.Server.Auth;

/// <summary>
/// Backoff after repeated failed sign-ins, per username and per client address: past the allowance each failure
/// locks the key out for twice as long as the last one (capped), and a success for the user clears its count. While
/// locked out no password is even checked, so guessing costs the attacker time and the server no PBKDF2 work.
/// </summary>
public sealed class LoginThrottle(IOptions<StrataServerOptions> options, TimeProvider time)
{
    private const int MaxEntries = 100_000;

    private readonly AuthOptions _options = options.Value.Auth;
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.Ordinal);

    /// <summary>How long the caller must wait, or null when it may try now.</summary>
    public TimeSpan? RetryAfter(string? username, string? address)
    {
        var now = time.GetUtcNow();
        TimeSpan? wait = null;
        foreach (var key in Keys(username, address))
        {
            if (_states.TryGetValue(key, out var state) && state.LockedUntil > now)
            {
                var left = state.LockedUntil - now;
                wait = wait is null || left > wait ? left : wait;
            }
        }

        return wait;
    }

    public void Failed(string? username, string? address)
    {
        var now = time.GetUtcNow();
        if (_states.Count >= MaxEntries)
        {
            foreach (var (key, state) in _states)
            {
                if (state.LockedUntil <= now)
                {
                    _states.TryRemove(key, out _);
                }
            }
        }

        foreach (var key in Keys(username, address))
        {
            var allowance = key[0] == 'u' ? _options.MaxFailedLoginsPerUser : _options.MaxFailedLoginsPerAddress;
            _states.AddOrUpdate(
                key,
                _ => Next(new State(0, DateTimeOffset.MinValue), allowance, now),
                (_, old) => Next(old, allowance, now));
        }
    }

    public void Succeeded(string username) => _states.TryRemove("u:" + username, out _);

    private State Next(State old, int allowance, DateTimeOffset now)
    {
        var failures = old.Failures + 1;
        if (failures < allowance)
        {
            return old with { Failures = failures };
        }

        var doublings = Math.Min(failures - allowance, 20);
        var lockout = TimeSpan.FromTicks(Math.Min(_options.FirstLockout.Ticks << doublings, _options.MaxLockout.Ticks));
        return new State(failures, now + lockout);
    }

    private static IEnumerable<string> Keys(string? username, string? address)
    {
        if (username is not null)
        {
            yield return "u:" + username;
        }

        if (address is not null)
        {
            yield return "a:" + address;
        }
    }

    private sealed record State(int Failures, DateTimeOffset LockedUntil);
}
