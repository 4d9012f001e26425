using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Tracking;

/// <summary>
/// A straightforward model of what metric history reads return, written from the contract (as the per-row table
/// behaved) rather than from the block code: every point logged for a (run, key), exact duplicates (timestamp,
/// step, value, NaN-ness) collapsed to the first one logged, ordered by (timestamp, step, value with NaN as 0 and
/// after a real 0); bulk-interval samples steps like the store and orders each run's points by step first.
/// </summary>
internal sealed class MetricHistoryReference
{
    private readonly Dictionary<(string Run, string Key), List<Metric>> _logged = [];

    public void Log(string runId, IEnumerable<Metric> metrics)
    {
        foreach (var m in metrics)
        {
            if (!_logged.TryGetValue((runId, m.Key), out var list))
            {
                _logged[(runId, m.Key)] = list = [];
            }

            list.Add(m);
        }
    }

    public IEnumerable<(string Run, string Key)> Series => _logged.Keys;

    private static (long, long, double, int) TimeKey(Metric m) =>
        (m.Timestamp, m.Step, double.IsNaN(m.Value) ? 0d : m.Value, double.IsNaN(m.Value) ? 1 : 0);

    private List<Metric> Distinct(string runId, string key)
    {
        var seen = new HashSet<(long, long, double, int)>();
        var kept = new List<Metric>();
        foreach (var m in _logged.GetValueOrDefault((runId, key)) ?? [])
        {
            // -0.0 and 0.0 are one key (as in SQL); HashSet of doubles already treats them as equal.
            if (seen.Add(TimeKey(m)))
            {
                kept.Add(m);
            }
        }

        return kept;
    }

    public List<Metric> History(string runId, string key) =>
        [.. Distinct(runId, key).OrderBy(m => m.Timestamp).ThenBy(m => m.Step)
            .ThenBy(m => double.IsNaN(m.Value) ? 0d : m.Value).ThenBy(m => double.IsNaN(m.Value) ? 1 : 0)];

    public List<Metric> BulkInterval(IReadOnlyList<string> runIds, string key, long? start, long? end, int maxResults)
    {
        var ids = runIds.Distinct().ToList();
        bool InRange(Metric m) => start is null || end is null || (m.Step >= start && m.Step <= end);
        var stepsPerRun = ids.Select(id => Distinct(id, key).Where(InRange).Select(m => m.Step).Distinct().Order().ToList()).ToList();
        var chosen = Strata.Storage.Tracking.TrackingStore.SampleSteps(stepsPerRun, maxResults).ToHashSet();
        return [.. ids.SelectMany(id => Distinct(id, key).Where(m => chosen.Contains(m.Step))
            .OrderBy(m => m.Step).ThenBy(m => m.Timestamp).ThenBy(m => double.IsNaN(m.Value) ? 0d : m.Value).ThenBy(m => double.IsNaN(m.Value) ? 1 : 0)
            .Select(m => m with { RunId = id }))];
    }

    /// <summary>Same point, bit for bit where it matters: NaN equals NaN, and the optional fields match.</summary>
    public static void AssertSame(IReadOnlyList<Metric> expected, IReadOnlyList<Metric> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: expected {expected.Count} points, got {actual.Count}");
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            var same = e.Timestamp == a.Timestamp && e.Step == a.Step && e.Value.Equals(a.Value) && e.ModelId == a.ModelId
                       && e.DatasetName == a.DatasetName && e.DatasetDigest == a.DatasetDigest && (e.RunId is null || e.RunId == a.RunId);
            Assert.True(same, $"{what}: point {i} expected {e}, got {a}");
        }
    }
}
