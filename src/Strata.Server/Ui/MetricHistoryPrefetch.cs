using System.Collections.Concurrent;
using Strata.Core.Tracking;

namespace Strata.Server.Ui;

/// <summary>
/// Hands whole metric histories from a page render to the chart islands it contains. The run page starts reading the
/// histories of the charts it shows while it renders; the islands open a moment later over their own connection (a
/// new DI scope) and take the read that is already done or under way instead of starting over, so the read overlaps
/// the page's download and the circuit's start. Each read is taken once; an untaken one is dropped after
/// <see cref="Keep"/>, so the handoff never serves a stale history to a later page.
/// </summary>
public sealed class MetricHistoryPrefetch(TrackingService tracking, TimeProvider time)
{
    public static readonly TimeSpan Keep = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads held at once. Pages whose islands never open (a crawler, scripts off) leave their reads behind until they
    /// expire; past this many the page skips the head start and its islands read for themselves.
    /// </summary>
    public const int MaxPending = 64;

    private readonly ConcurrentDictionary<(string RunId, string Key), (Task<List<MetricPoint>> Read, long StartedMs)> _reads = new();

    /// <summary>Starts reading the history (replacing an untaken earlier read of it), unless too many reads are pending.</summary>
    public void Start(string runId, string key)
    {
        Sweep();
        if (_reads.Count >= MaxPending)
        {
            return;
        }

        // Not the request's token: the read outlives the page's request and is awaited by the island.
        _reads[(runId, key)] = (MetricSeriesReader.ReadAllAsync(tracking, runId, key, CancellationToken.None), Now());
    }

    /// <summary>The read started for this history and not yet taken, or null.</summary>
    public Task<List<MetricPoint>>? Take(string runId, string key) =>
        _reads.TryRemove((runId, key), out var entry) && Now() - entry.StartedMs <= Keep.TotalMilliseconds ? entry.Read : null;

    private void Sweep()
    {
        var cutoff = Now() - (long)Keep.TotalMilliseconds;
        foreach (var (k, v) in _reads)
        {
            if (v.StartedMs < cutoff)
            {
                _reads.TryRemove(k, out _);
            }
        }
    }

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
