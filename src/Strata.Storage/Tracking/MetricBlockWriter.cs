using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// Appends a batch's points to the history blocks of their (run, key), inside the write transaction: the points
/// of one key go first into that key's last block while it holds fewer than <see cref="BlockPoints"/> (the open
/// block: read, decoded, extended, re-encoded and updated in place), the rest into new blocks of at most
/// <see cref="BlockPoints"/>. A block that is full is never written again (sealed). Rewriting the open block costs
/// a few kilobytes per key per batch, much less than the several B-tree inserts per point of a row per point.
/// Duplicates are kept as logged; a read drops them (the first logged wins), so a write never searches history.
/// On PostgreSQL the open block is read <c>FOR UPDATE</c> so that two writers to one key cannot both extend it.
/// </summary>
internal sealed class MetricBlockWriter(SqlDialect dialect)
{
    /// <summary>
    /// Points per block. 128 points are ~1.4 KB of payload: the open block, rewritten by every batch that appends
    /// to its key, stays inside one SQLite page (no overflow chain to free and rewrite), and the header row and index
    /// entry (~120 bytes) add about a byte per point. Measured with 100-metric log-batches (10 keys x 10 steps) into
    /// SQLite, store-direct: 512-point blocks cost 640-690 us of CPU per request, 256-point ones 420, 128-point ones
    /// 350-410. Blocks written with another size (older databases held up to 512) read the same.
    /// </summary>
    public const int BlockPoints = 128;

    private const string LastBlockSql =
        "SELECT block_id, point_count, payload FROM metric_blocks WHERE run_id = @r AND key = @k ORDER BY block_id DESC LIMIT 1";

    private const string UpdateSql =
        "UPDATE metric_blocks SET min_step = @s0, max_step = @s1, min_timestamp = @t0, max_timestamp = @t1, point_count = @n, payload = @p WHERE block_id = @id";

    private const string InsertSql =
        "INSERT INTO metric_blocks (run_id, key, min_step, max_step, min_timestamp, max_timestamp, point_count, payload) " +
        "VALUES (@r, @k, @s0, @s1, @t0, @t1, @n, @p)";

    private readonly ConditionalWeakTable<DbConnection, Dictionary<string, DbCommand>> _prepared = new();

    public async Task AppendAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        // Group by key, keeping each key's points in logging order.
        var byKey = new Dictionary<string, List<BlockPoint>>(StringComparer.Ordinal);
        var extras = new Dictionary<(string?, string?, string?), MetricPointExtras>();
        foreach (var m in metrics)
        {
            if (!byKey.TryGetValue(m.Key, out var list))
            {
                byKey[m.Key] = list = [];
            }

            MetricPointExtras? extra = null;
            if (m.ModelId is not null || m.DatasetName is not null || m.DatasetDigest is not null)
            {
                var k = (m.ModelId, m.DatasetName, m.DatasetDigest);
                if (!extras.TryGetValue(k, out extra))
                {
                    extras[k] = extra = new MetricPointExtras(m.ModelId, m.DatasetName, m.DatasetDigest);
                }
            }

            list.Add(new BlockPoint(m.Timestamp, m.Step, m.Value, extra));
        }

        foreach (var (key, points) in byKey)
        {
            await AppendKeyAsync(c, tx, runId, key, points, ct).ConfigureAwait(false);
        }
    }

    private async Task AppendKeyAsync(DbConnection c, DbTransaction tx, string runId, string key, List<BlockPoint> points, CancellationToken ct)
    {
        var offset = 0;
        var (last, owned) = Command(c, "last", LastBlockSql + (dialect.Kind == SqlDialectKind.Postgres ? " FOR UPDATE" : ""));
        try
        {
            last.Transaction = tx;
            last.Parameters[0].Value = runId;
            last.Parameters[1].Value = key;
            long blockId = 0;
            byte[]? payload = null;
            await using (var reader = await last.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(ct).ConfigureAwait(false) && reader.GetInt64(1) < BlockPoints)
                {
                    blockId = reader.GetInt64(0);
                    payload = reader.GetFieldValue<byte[]>(2);
                }
            }

            if (payload is not null)
            {
                var open = new List<BlockPoint>(BlockPoints);
                MetricBlockCodec.Decode(payload, open);
                offset = Math.Min(points.Count, BlockPoints - open.Count);
                open.AddRange(points.Take(offset));
                var (update, updateOwned) = Command(c, "update", UpdateSql);
                try
                {
                    update.Transaction = tx;
                    Bind(update, open);
                    update.Parameters["@id"].Value = blockId;
                    await update.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                finally
                {
                    await ReleaseAsync(update, updateOwned).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await ReleaseAsync(last, owned).ConfigureAwait(false);
        }

        while (offset < points.Count)
        {
            var count = Math.Min(BlockPoints, points.Count - offset);
            var (insert, insertOwned) = Command(c, "insert", InsertSql);
            try
            {
                insert.Transaction = tx;
                insert.Parameters["@r"].Value = runId;
                insert.Parameters["@k"].Value = key;
                Bind(insert, points.GetRange(offset, count));
                await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                await ReleaseAsync(insert, insertOwned).ConfigureAwait(false);
            }

            offset += count;
        }
    }

    /// <summary>Inserts one block (the history conversion, which brings whole sorted runs of points).</summary>
    public static async Task InsertBlockAsync(DbConnection c, DbTransaction tx, string runId, string key, IReadOnlyList<BlockPoint> points, CancellationToken ct)
    {
        await using var insert = CreateCommand(c, InsertSql);
        insert.Transaction = tx;
        insert.Parameters["@r"].Value = runId;
        insert.Parameters["@k"].Value = key;
        Bind(insert, points);
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static void Bind(DbCommand cmd, IReadOnlyList<BlockPoint> points)
    {
        long minStep = long.MaxValue, maxStep = long.MinValue, minTs = long.MaxValue, maxTs = long.MinValue;
        foreach (var p in points)
        {
            minStep = Math.Min(minStep, p.Step);
            maxStep = Math.Max(maxStep, p.Step);
            minTs = Math.Min(minTs, p.Timestamp);
            maxTs = Math.Max(maxTs, p.Timestamp);
        }

        var ps = cmd.Parameters;
        ps["@s0"].Value = minStep;
        ps["@s1"].Value = maxStep;
        ps["@t0"].Value = minTs;
        ps["@t1"].Value = maxTs;
        ps["@n"].Value = points.Count;
        ps["@p"].Value = MetricBlockCodec.Encode(points);
    }

    private (DbCommand Command, bool Owned) Command(DbConnection c, string name, string sql)
    {
        if (!dialect.CachePreparedCommandsPerConnection)
        {
            return (CreateCommand(c, sql), true);
        }

        var cache = _prepared.GetOrCreateValue(c);
        if (!cache.TryGetValue(name, out var cmd))
        {
            cmd = CreateCommand(c, sql);
            cmd.Prepare();
            cache[name] = cmd;
        }

        return (cmd, false);
    }

    private static DbCommand CreateCommand(DbConnection c, string sql)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, type) in Parameters)
        {
            // Every statement here names its parameters followed by a space, comma, ')' or the end.
            if (System.Text.RegularExpressions.Regex.IsMatch(sql, System.Text.RegularExpressions.Regex.Escape(name) + @"\b"))
            {
                var p = cmd.CreateParameter();
                p.ParameterName = name;
                p.DbType = type;
                p.Value = DBNull.Value;
                cmd.Parameters.Add(p);
            }
        }

        return cmd;
    }

    private static readonly (string Name, DbType Type)[] Parameters =
    [
        ("@r", DbType.String), ("@k", DbType.String), ("@s0", DbType.Int64), ("@s1", DbType.Int64), ("@t0", DbType.Int64),
        ("@t1", DbType.Int64), ("@n", DbType.Int32), ("@p", DbType.Binary), ("@id", DbType.Int64),
    ];

    private static async Task ReleaseAsync(DbCommand cmd, bool owned)
    {
        if (owned)
        {
            await cmd.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            cmd.Transaction = null;
        }
    }
}
