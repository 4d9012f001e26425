using System.Data.Common;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Storage.Tracking;

public sealed partial class TrackingStore : ITrackingHistoryReader
{
    private MetricBlockReader? _blockReaderInstance;

    private MetricBlockReader BlockReader => _blockReaderInstance ??= new MetricBlockReader(_dialect);

    public async Task<Page<Metric>> GetMetricHistoryAsync(string runId, string metricKey, int? maxResults, string? pageToken, CancellationToken ct)
    {
        // Sized up front: a page is usually full, and growing a 25k list copies it ~15 times.
        var sink = new MetricListSink(metricKey, maxResults is > 0 ? Math.Min(maxResults.Value, 25_000) : 1024);
        var next = await ReadMetricHistoryAsync(runId, metricKey, maxResults, pageToken, sink, ct).ConfigureAwait(false);
        return new Page<Metric>(sink.Items, next);
    }

    public Task<string?> ReadMetricHistoryAsync(
        string runId, string metricKey, int? maxResults, string? pageToken, IMetricHistorySink sink, CancellationToken ct)
    {
        var fingerprint = "history|" + runId + "|" + metricKey;
        var token = PageToken.Decode(pageToken, fingerprint);
        if (token is not null && token.Keys is not [long, long, double, long])
        {
            throw MlflowException.InvalidParameter($"Invalid page token '{pageToken}'.");
        }

        var limit = maxResults is null or <= 0 ? (int?)null : maxResults.Value;
        BlockPoint? after = token is null
            ? null
            : new BlockPoint((long)token.Keys![0], (long)token.Keys[1], (long)token.Keys[3] != 0 ? double.NaN : (double)token.Keys[2], null);
        return database.ReadAsync(
            async (c, ct2) =>
            {
                var exists = await c.ExecuteScalarAsync<long?>(Cmd("SELECT 1 FROM runs WHERE run_id = @runId", new { runId }, null, ct2)).ConfigureAwait(false);
                if (exists is null)
                {
                    throw RunNotFound(runId);
                }

                var last = await StreamHistoryPageAsync(c, runId, metricKey, after, limit, sink, ct2).ConfigureAwait(false);

                // A point past the page says there is a next page; the token is the last point's history key.
                return last is { } p
                    ? new PageToken(fingerprint, [p.Timestamp, p.Step, p.SortValue, (long)p.NanFlag], null).Encode()
                    : (string?)null;
            },
            ct);
    }

    /// <summary>
    /// Writes the points of one (run, key) after <paramref name="after"/> in history order, duplicates dropped, to
    /// <paramref name="sink"/>: all of them, or the first <paramref name="limit"/>, returning the last one written when
    /// more follow (null at the end). A k-way merge: blocks are taken in order of their first timestamp, each decoded
    /// block sorted on its own (already in order when logged step by step) and merged through a heap of the blocks in
    /// flight. A block joins before the merge takes any point at or after its first timestamp, so no point (nor an
    /// earlier-logged duplicate of one) is written before every block that could hold a smaller one has joined.
    /// Blocks whose ranges overlap, as with concurrent logging, cost a log(k) per point instead of a sort of every
    /// chained block; a page stops decoding once it is full.
    /// </summary>
    private async Task<BlockPoint?> StreamHistoryPageAsync(
        DbConnection c, string runId, string key, BlockPoint? after, int? limit, IMetricHistorySink sink, CancellationToken ct)
    {
        var blocks = await MetricBlockReader.HeadersAsync(c, runId, key, after?.Timestamp, null, ct).ConfigureAwait(false);
        blocks.Sort((a, b) => a.MinTimestamp != b.MinTimestamp ? a.MinTimestamp.CompareTo(b.MinTimestamp) : a.BlockId.CompareTo(b.BlockId));
        Func<BlockPoint, bool>? keep = after is { } a ? p => MetricBlockReader.CompareKey(p, a, byStepFirst: false) > 0 : null;
        var payloads = new Dictionary<long, byte[]>();
        var scratch = new List<BlockPoint>(MetricBlockWriter.BlockPoints);
        var heap = new PriorityQueue<BlockCursor, HistoryEntry>(HistoryOrder.ByTime);
        var spare = new Stack<BlockCursor>();
        var fetched = 0;
        var next = 0;
        long written = 0;
        BlockPoint? lastWritten = null;
        while (true)
        {
            // Every block that may hold a point at or before the smallest one in flight joins first.
            while (next < blocks.Count && (!heap.TryPeek(out _, out var smallest) || blocks[next].MinTimestamp <= smallest.Point.Timestamp))
            {
                if (fetched == next)
                {
                    // Payloads a fetch at a time: enough blocks (by their counts) to fill the rest of the page, at
                    // least one, at most a bounded window.
                    var want = limit is { } l ? l - written + 1 : long.MaxValue;
                    long points = 0;
                    while (fetched < blocks.Count && (fetched == next || (points < want && fetched - next < 128)))
                    {
                        points += blocks[fetched].PointCount;
                        fetched++;
                    }

                    await BlockReader.FetchAsync(c, blocks, next, fetched - next, payloads, ct).ConfigureAwait(false);
                }

                // A block purged between the header read and this one has no payload: nothing of it is read.
                if (payloads.Remove(blocks[next].BlockId, out var payload))
                {
                    var cursor = spare.Count > 0 ? spare.Pop() : new BlockCursor();
                    MetricBlockReader.Decode(blocks[next], payload, cursor.Entries, keep, scratch);
                    MetricBlockReader.Sort(cursor.Entries, HistoryOrder.ByTime);
                    if (cursor.Entries.Count > 0)
                    {
                        heap.Enqueue(cursor, cursor.Entries[0]);
                    }
                    else
                    {
                        spare.Push(cursor);
                    }
                }

                next++;
            }

            if (!heap.TryPeek(out var top, out var entry))
            {
                return null;
            }

            if (++top.Position < top.Entries.Count)
            {
                heap.DequeueEnqueue(top, top.Entries[top.Position]);
            }
            else
            {
                heap.Dequeue();
                top.Reset();
                spare.Push(top);
            }

            var p = entry.Point;
            if (lastWritten is { } previous && MetricBlockReader.CompareKey(previous, p, byStepFirst: false) == 0)
            {
                // A later-logged duplicate of the point just written (the order puts the first-logged one first).
                continue;
            }

            if (limit is { } max && written == max)
            {
                return lastWritten;
            }

            var extras = p.Extras;
            var pending = sink.WriteAsync(new MetricHistoryPoint(p.Value, p.Timestamp, p.Step, extras?.ModelId, extras?.DatasetName, extras?.DatasetDigest), ct);
            if (!pending.IsCompletedSuccessfully)
            {
                await pending.ConfigureAwait(false);
            }

            written++;
            lastWritten = p;
        }
    }

    /// <summary>A decoded block's points in history order and how far the merge has taken them.</summary>
    private sealed class BlockCursor
    {
        public List<HistoryEntry> Entries { get; } = new(MetricBlockWriter.BlockPoints);

        public int Position { get; set; }

        public void Reset()
        {
            Entries.Clear();
            Position = 0;
        }
    }

    /// <summary>Collects a history page as <see cref="Metric"/>s for <see cref="GetMetricHistoryAsync"/>.</summary>
    private sealed class MetricListSink(string key, int capacity) : IMetricHistorySink
    {
        public List<Metric> Items { get; } = new(capacity);

        public ValueTask WriteAsync(in MetricHistoryPoint point, CancellationToken ct)
        {
            Items.Add(new Metric(key, point.Value, point.Timestamp, point.Step, null, point.ModelId, point.DatasetName, point.DatasetDigest));
            return ValueTask.CompletedTask;
        }
    }

    public Task<IReadOnlyList<Metric>> GetMetricHistoryBulkIntervalAsync(
        IReadOnlyList<string> runIds, string metricKey, long? startStep, long? endStep, int maxResults, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<Metric>>(
            async (c, token) =>
            {
                if (runIds.Count == 0 || maxResults <= 0)
                {
                    return [];
                }

                var ids = runIds.Distinct(StringComparer.Ordinal).ToList();
                (long Start, long End)? range = startStep is not null && endStep is not null ? (startStep.Value, endStep.Value) : null;
                Func<BlockPoint, bool>? inRange = range is { } r ? p => p.Step >= r.Start && p.Step <= r.End : null;

                // Pass 1: each run's distinct steps (in range) from the blocks whose step range overlaps it. Points
                // are not kept, so a sweep of long histories holds one run's points at a time.
                var blocksPerRun = new Dictionary<string, List<BlockHeader>>(StringComparer.Ordinal);
                var stepsPerRun = new List<List<long>>();
                var scratch = new List<HistoryEntry>();
                foreach (var id in ids)
                {
                    var blocks = await MetricBlockReader.HeadersAsync(c, id, metricKey, null, range, token).ConfigureAwait(false);
                    blocks.Sort((a, b) => a.BlockId.CompareTo(b.BlockId));
                    blocksPerRun[id] = blocks;
                    scratch.Clear();
                    await BlockReader.DecodeAsync(c, blocks, scratch, inRange, token).ConfigureAwait(false);
                    var steps = new SortedSet<long>();
                    foreach (var e in scratch)
                    {
                        steps.Add(e.Point.Step);
                    }

                    stepsPerRun.Add([.. steps]);
                }

                var chosen = SampleSteps(stepsPerRun, maxResults);
                if (chosen.Count == 0)
                {
                    return [];
                }

                // Pass 2: every point at a chosen step, per run in the caller's order, by (step, timestamp, value).
                var wanted = chosen.ToHashSet();
                var result = new List<Metric>();
                foreach (var id in ids)
                {
                    var blocks = blocksPerRun[id].Where(b => HoldsAny(chosen, b.MinStep, b.MaxStep)).ToList();
                    scratch.Clear();
                    await BlockReader.DecodeAsync(c, blocks, scratch, p => wanted.Contains(p.Step), token).ConfigureAwait(false);
                    MetricBlockReader.SortAndDedupe(scratch, byStep: true);
                    foreach (var e in scratch)
                    {
                        var p = e.Point;
                        result.Add(new Metric(metricKey, p.Value, p.Timestamp, p.Step, id, p.Extras?.ModelId, p.Extras?.DatasetName, p.Extras?.DatasetDigest));
                    }
                }

                return result;
            },
            ct);

    /// <summary>Does the sorted list hold a value in [lo, hi]?</summary>
    private static bool HoldsAny(List<long> sorted, long lo, long hi)
    {
        var i = sorted.BinarySearch(lo);
        if (i < 0)
        {
            i = ~i;
        }

        return i < sorted.Count && sorted[i] <= hi;
    }

    /// <summary>
    /// Up to <paramref name="maxResults"/> steps spread evenly over the union of the runs' steps,
    /// plus every run's first and last step so each curve keeps its ends.
    /// </summary>
    internal static List<long> SampleSteps(IEnumerable<List<long>> stepsPerRun, int maxResults)
    {
        var runs = stepsPerRun.Where(s => s.Count > 0).ToList();
        var all = new SortedSet<long>();
        foreach (var steps in runs)
        {
            all.UnionWith(steps);
        }

        var chosen = new SortedSet<long>();
        if (all.Count <= maxResults)
        {
            chosen.UnionWith(all);
        }
        else
        {
            var sorted = all.ToArray();
            for (var i = 0; i < maxResults; i++)
            {
                // Evenly spaced indices over the sorted union, first and last included.
                var index = maxResults == 1 ? 0 : (int)Math.Round((double)i * (sorted.Length - 1) / (maxResults - 1));
                chosen.Add(sorted[index]);
            }
        }

        foreach (var steps in runs)
        {
            chosen.Add(steps[0]);
            chosen.Add(steps[^1]);
        }

        return [.. chosen];
    }


}
