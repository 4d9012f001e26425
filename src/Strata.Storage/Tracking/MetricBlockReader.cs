using System.Data.Common;
using System.Runtime.InteropServices;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>A stored point with where it was logged: (block, position) is logging order, which decides duplicates.</summary>
internal readonly record struct HistoryEntry(BlockPoint Point, long BlockId, int Index);

/// <summary>A block's header: enough to decide whether a read needs its payload.</summary>
internal sealed class BlockHeader
{
    public long BlockId { get; set; }
    public long MinTimestamp { get; set; }
    public long MaxTimestamp { get; set; }
    public long MinStep { get; set; }
    public long MaxStep { get; set; }
    public long PointCount { get; set; }
}

/// <summary>
/// Reads history blocks: headers of one (run, key), payloads of chosen blocks, and the order every history read
/// shares, (timestamp, step, value, is_nan) for get-history and (step, timestamp, value, is_nan) for bulk-interval,
/// with exact duplicates (same timestamp, step, value and NaN-ness) collapsed to the first one logged, which is
/// what the per-row table's primary key and ON CONFLICT DO NOTHING returned.
/// </summary>
internal sealed class MetricBlockReader(SqlDialect dialect)
{
    /// <summary>Payloads fetched per statement: one bound list, few round trips, bounded memory.</summary>
    private const int BlocksPerFetch = 128;

    public static async Task<List<BlockHeader>> HeadersAsync(
        DbConnection c, string runId, string key, long? minTimestamp, (long Start, long End)? steps, CancellationToken ct)
    {
        // Read by ordinal, not mapped: a paged read of a long history takes every later block's header each page
        // (7,800 headers for a million points at the first page).
        await using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT block_id, min_timestamp, max_timestamp, min_step, max_step, point_count FROM metric_blocks WHERE run_id = @runId AND key = @key" +
                          (minTimestamp is null ? "" : " AND max_timestamp >= @minTimestamp") +
                          (steps is null ? "" : " AND min_step <= @end AND max_step >= @start");
        Add(cmd, "@runId", runId);
        Add(cmd, "@key", key);
        if (minTimestamp is { } t)
        {
            Add(cmd, "@minTimestamp", t);
        }

        if (steps is { } range)
        {
            Add(cmd, "@start", range.Start);
            Add(cmd, "@end", range.End);
        }

        var headers = new List<BlockHeader>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            headers.Add(new BlockHeader
            {
                BlockId = reader.GetInt64(0),
                MinTimestamp = reader.GetInt64(1),
                MaxTimestamp = reader.GetInt64(2),
                MinStep = reader.GetInt64(3),
                MaxStep = reader.GetInt64(4),
                PointCount = reader.GetInt64(5),
            });
        }

        return headers;

        static void Add(DbCommand cmd, string name, object value)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            cmd.Parameters.Add(p);
        }
    }

    /// <summary>The SQL that fetches payloads of a bound list of block ids (@ids).</summary>
    internal string PayloadSql() =>
        $"SELECT b.block_id, b.payload FROM {dialect.ListTable("@ids", "s")} CROSS JOIN metric_blocks b WHERE b.block_id = s.value";

    /// <summary>Decodes the given blocks' points, in the order of <paramref name="blocks"/>, into <paramref name="into"/>.</summary>
    public async Task DecodeAsync(DbConnection c, IReadOnlyList<BlockHeader> blocks, List<HistoryEntry> into, Func<BlockPoint, bool>? keep, CancellationToken ct)
    {
        var scratch = new List<BlockPoint>(MetricBlockWriter.BlockPoints);
        var payloads = new Dictionary<long, byte[]>();
        for (var start = 0; start < blocks.Count; start += BlocksPerFetch)
        {
            var count = Math.Min(BlocksPerFetch, blocks.Count - start);
            payloads.Clear();
            await FetchAsync(c, blocks, start, count, payloads, ct).ConfigureAwait(false);
            for (var i = start; i < start + count; i++)
            {
                if (payloads.TryGetValue(blocks[i].BlockId, out var payload))
                {
                    Decode(blocks[i], payload, into, keep, scratch);
                }
            }
        }
    }

    /// <summary>Adds the payloads of <paramref name="count"/> blocks from <paramref name="start"/> to <paramref name="into"/> by block id (one statement).</summary>
    public async Task FetchAsync(DbConnection c, IReadOnlyList<BlockHeader> blocks, int start, int count, Dictionary<long, byte[]> into, CancellationToken ct)
    {
        var ids = new long[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = blocks[start + i].BlockId;
        }

        await using var cmd = c.CreateCommand();
        cmd.CommandText = PayloadSql();
        var p = cmd.CreateParameter();
        p.ParameterName = "@ids";
        p.Value = dialect.IntegerListValue(ids);
        cmd.Parameters.Add(p);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            into[reader.GetInt64(0)] = reader.GetFieldValue<byte[]>(1);
        }
    }

    /// <summary>
    /// Appends a block's points (as many as its header counts: a block extended since its header was read keeps its
    /// new points for a later read) that pass <paramref name="keep"/> to <paramref name="into"/>, with their logging position.
    /// </summary>
    public static void Decode(BlockHeader block, byte[] payload, List<HistoryEntry> into, Func<BlockPoint, bool>? keep, List<BlockPoint> scratch)
    {
        scratch.Clear();
        MetricBlockCodec.Decode(payload, scratch, (int)Math.Min(block.PointCount, int.MaxValue));
        into.EnsureCapacity(into.Count + scratch.Count);
        for (var i = 0; i < scratch.Count; i++)
        {
            if (keep is null || keep(scratch[i]))
            {
                into.Add(new HistoryEntry(scratch[i], block.BlockId, i));
            }
        }
    }

    /// <summary>The history key compared; 0 means the points are duplicates.</summary>
    public static int CompareKey(in BlockPoint a, in BlockPoint b, bool byStepFirst)
    {
        int c;
        if (byStepFirst)
        {
            c = a.Step.CompareTo(b.Step);
            if (c == 0)
            {
                c = a.Timestamp.CompareTo(b.Timestamp);
            }
        }
        else
        {
            c = a.Timestamp.CompareTo(b.Timestamp);
            if (c == 0)
            {
                c = a.Step.CompareTo(b.Step);
            }
        }

        if (c != 0)
        {
            return c;
        }

        // Never NaN (NaN sorts as 0); -0.0 and 0.0 compare equal, as in SQL.
        var av = a.SortValue;
        var bv = b.SortValue;
        if (av != bv)
        {
            return av < bv ? -1 : 1;
        }

        return a.NanFlag.CompareTo(b.NanFlag);
    }

    /// <summary>Sorts (skipped when already in order, the common case) and drops later-logged duplicates.</summary>
    public static void SortAndDedupe(List<HistoryEntry> entries, bool byStep)
    {
        Sort(entries, new HistoryOrder(byStep));
        var kept = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            if (kept > 0 && CompareKey(entries[kept - 1].Point, entries[i].Point, byStep) == 0)
            {
                continue;
            }

            entries[kept++] = entries[i];
        }

        entries.RemoveRange(kept, entries.Count - kept);
    }

    /// <summary>Sorts in history order, skipped when already in order (the common case: a block logged step by step).</summary>
    public static void Sort(List<HistoryEntry> entries, HistoryOrder order)
    {
        var span = CollectionsMarshal.AsSpan(entries);
        for (var i = 1; i < span.Length; i++)
        {
            if (order.Compare(span[i - 1], span[i]) > 0)
            {
                span.Sort(order);
                return;
            }
        }
    }
}

/// <summary>
/// History order: (timestamp, step, value with NaN as 0, is_nan) for get-history, (step, timestamp, ...) for
/// bulk-interval, then logging order (block, position), so equal keys keep the first-logged point first.
/// </summary>
internal readonly struct HistoryOrder(bool byStep) : IComparer<HistoryEntry>
{
    public static HistoryOrder ByTime => new(false);

    public int Compare(HistoryEntry a, HistoryEntry b)
    {
        var c = MetricBlockReader.CompareKey(a.Point, b.Point, byStep);
        if (c != 0)
        {
            return c;
        }

        c = a.BlockId.CompareTo(b.BlockId);
        return c != 0 ? c : a.Index.CompareTo(b.Index);
    }
}
