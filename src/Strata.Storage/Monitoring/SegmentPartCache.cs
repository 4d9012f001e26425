using Strata.Core.Monitoring;

namespace Strata.Storage.Monitoring;

/// <summary>
/// What <see cref="PredictionWindowReader"/> parsed out of whole segments, kept by segment so that a drift over a window
/// that reuses them (the drift page re-reading a run's window, on-demand drift over the last day, another threshold or
/// method) parses only the segments it has not seen. A segment is never changed once written (retention only deletes
/// it), and the key carries its bounds and entry count besides its id, so an id SQLite hands out again after a
/// deletion never meets a stale entry. Least recently used entries go first beyond <c>capacityBytes</c>; 0 keeps nothing.
/// </summary>
internal sealed class SegmentPartCache(long capacityBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<SegmentKey, LinkedListNode<(SegmentKey Key, SegmentPart Part)>> _byKey = [];
    private readonly LinkedList<(SegmentKey Key, SegmentPart Part)> _recency = [];
    private long _bytes;

    public bool Enabled => capacityBytes > 0;

    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    public bool TryGet(SegmentKey key, out SegmentPart part)
    {
        lock (_gate)
        {
            if (_byKey.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                part = node.Value.Part;
                return true;
            }
        }

        part = null!;
        return false;
    }

    public void Add(SegmentKey key, SegmentPart part)
    {
        if (part.Bytes > capacityBytes)
        {
            return;
        }

        lock (_gate)
        {
            if (_byKey.ContainsKey(key))
            {
                return;
            }

            _byKey[key] = _recency.AddFirst((key, part));
            _bytes += part.Bytes;
            while (_bytes > capacityBytes && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _byKey.Remove(oldest.Value.Key);
                _bytes -= oldest.Value.Part.Bytes;
            }
        }
    }
}

/// <summary>A segment as the window index describes it: its id, whose model version, its time bounds and entry count.</summary>
internal readonly record struct SegmentKey(long SegmentId, string ModelName, string ModelVersion, long MinTimestampMs, long MaxTimestampMs, long EntryCount);

/// <summary>
/// One whole segment's entries that succeeded, parsed: tables per parsing worker (each got some of its chunks), never
/// changed once cached (readers only copy out of them).
/// </summary>
internal sealed class SegmentPart
{
    public SegmentPart(IReadOnlyList<(FeatureTable Inputs, FeatureTable Outputs)> tables, long entries)
    {
        Tables = tables;
        Entries = entries;
        long bytes = 0;
        foreach (var column in tables.SelectMany(t => t.Inputs.Columns.Concat(t.Outputs.Columns)))
        {
            // Read the category counts once here: a column folds its pending counts in on the first read, and cached
            // columns must be read-only from then on (several drifts may copy out of them at once).
            bytes += 64 + ((long)column.Capacity * sizeof(double)) + (column.Categories.Count * 64L);
        }

        Bytes = bytes;
    }

    public IReadOnlyList<(FeatureTable Inputs, FeatureTable Outputs)> Tables { get; }

    public long Entries { get; }

    /// <summary>About how much memory the part holds.</summary>
    public long Bytes { get; }
}
