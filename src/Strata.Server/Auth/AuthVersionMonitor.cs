using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Server.Hosting;

namespace Strata.Server.Auth;

/// <summary>
/// The auth version of the database, re-read at most once per poll interval by whichever request needs it first
/// (others keep using the value in hand meanwhile), so a password change, revocation or grant made on any replica
/// invalidates every cache within the interval, and one made here at once (<see cref="MarkStale"/>).
/// </summary>
public sealed class AuthVersionMonitor(IAuthStore store, IOptions<StrataServerOptions> options, TimeProvider time)
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly long _pollTicks = (long)(options.Value.Auth.VersionPollInterval.TotalSeconds * time.TimestampFrequency);
    private long _version = -1;
    private long _readAt;
    private volatile bool _stale = true;

    public async ValueTask<long> CurrentAsync(CancellationToken ct)
    {
        var version = Volatile.Read(ref _version);
        if (!_stale && version >= 0 && time.GetTimestamp() - Volatile.Read(ref _readAt) < _pollTicks)
        {
            return version;
        }

        // A stale flag or a first read must wait for the database; a routine poll lets one request refresh while the
        // others keep the value in hand.
        if (_stale || version < 0)
        {
            await _refresh.WaitAsync(ct).ConfigureAwait(false);
        }
        else if (!await _refresh.WaitAsync(0, ct).ConfigureAwait(false))
        {
            return version;
        }

        try
        {
            _stale = false;
            var fresh = await store.GetVersionAsync(ct).ConfigureAwait(false);
            Volatile.Write(ref _version, fresh);
            Volatile.Write(ref _readAt, time.GetTimestamp());
            return fresh;
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>Called after this process changed users, tokens or grants: the next request re-reads the version.</summary>
    public void MarkStale() => _stale = true;
}
