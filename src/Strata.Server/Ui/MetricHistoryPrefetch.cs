using System.Collections.Concurrent;
using Strata.Core.Tracking;

namespace Strata.Server.Ui;

/// <summary>
/// Hands whole metric histories from a page to the charts it contains. The run page starts reading the histories of
/// the charts it shows before its own other reads (experiment, children, sparklines, versions, artifacts), and its
/// <c>MetricChart</c>s take the read already done or under way instead of starting over, so the reads overlap. Each
/// read is taken once; an untaken one (a render that failed before its charts) is dropped after <see cref="Keep"/>, so
/// the handoff never serves a stale history to a later page.
/// </summary>
public sealed class MetricHistoryPrefetch(TrackingService tracking, TimeProvider time)
{
    public static readonly TimeSpan Keep = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reads held at once; past this many the page skips the head start and its charts read for themselves.
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

        // Not the request's token: an untaken read may outlive the request that started it.
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
