using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// The hot path of log-batch. Metric points are appended to their (run, key)'s history blocks
/// (<see cref="MetricBlockWriter"/>), and <c>latest_metrics</c> gets, per key, the greatest
/// (step, timestamp, value) of the batch as an upsert of <see cref="SqlDialect.MetricRowsPerInsert"/>
/// rows per statement that only replaces a stored row it beats. Commands are built by hand and their parameters
/// re-bound in place rather than through Dapper: reflection per parameter would cost more than the
/// insert. Where the dialect allows it (SQLite's long-lived writer connection) the prepared commands
/// are kept per connection and reused by every later batch.
/// </summary>
internal sealed class MetricBatchWriter(SqlDialect dialect)
{
    private const int LatestColumnsPerRow = 5;

    private readonly ConditionalWeakTable<DbConnection, Dictionary<int, DbCommand>> _prepared = new();
    private readonly MetricBlockWriter _blocks = new(dialect);

    public async Task WriteAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        await _blocks.AppendAsync(c, tx, runId, metrics, ct).ConfigureAwait(false);
        await InsertAsync(c, tx, runId, LatestPerKey(metrics), ct).ConfigureAwait(false);
    }

    /// <summary>MLflow's "latest": the greatest (step, timestamp, value); a NaN value ranks below every number.</summary>
    internal static bool IsLater(Metric candidate, Metric current)
    {
        if (candidate.Step != current.Step)
        {
            return candidate.Step > current.Step;
        }

        if (candidate.Timestamp != current.Timestamp)
        {
            return candidate.Timestamp > current.Timestamp;
        }

        if (double.IsNaN(candidate.Value))
        {
            return false;
        }

        return double.IsNaN(current.Value) || candidate.Value > current.Value;
    }

    private async Task InsertAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> rows, CancellationToken ct)
    {
        var columns = LatestColumnsPerRow;
        var perStatement = Math.Max(1, Math.Min(dialect.MetricRowsPerInsert, (dialect.MaxParametersPerStatement - 1) / columns));
        (DbCommand Command, bool Owned)? full = null;
        try
        {
            for (var start = 0; start < rows.Count; start += perStatement)
            {
                var count = Math.Min(perStatement, rows.Count - start);
                if (count == perStatement)
                {
                    // One command serves every full chunk; only a shorter tail needs its own.
                    full ??= GetCommand(c, count);
                    await ExecuteAsync(full.Value.Command, tx, runId, rows, start, count, columns, ct).ConfigureAwait(false);
                }
                else
                {
                    var (tail, owned) = GetCommand(c, count);
                    try
                    {
                        await ExecuteAsync(tail, tx, runId, rows, start, count, columns, ct).ConfigureAwait(false);
                    }
                    finally
                    {
                        await ReleaseAsync(tail, owned).ConfigureAwait(false);
                    }
                }
            }
        }
        finally
        {
            if (full is { } f)
            {
                await ReleaseAsync(f.Command, f.Owned).ConfigureAwait(false);
            }
        }
    }

    private static async Task ExecuteAsync(
        DbCommand cmd, DbTransaction tx, string runId, IReadOnlyList<Metric> rows, int start, int count, int columns, CancellationToken ct)
    {
        cmd.Transaction = tx;
        var p = cmd.Parameters;
        p[0].Value = runId;
        for (var i = 0; i < count; i++)
        {
            var m = rows[start + i];
            var isNan = double.IsNaN(m.Value);
            var o = 1 + (i * columns);
            p[o].Value = m.Key;
            p[o + 1].Value = m.Timestamp;
            p[o + 2].Value = m.Step;
            p[o + 3].Value = isNan ? 0d : m.Value;
            p[o + 4].Value = isNan ? 1 : 0;
        }

        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Disposes a one-off command; a cached one is only detached from the transaction.</summary>
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

    /// <summary>A command for <paramref name="rows"/> rows; owned = the caller disposes it (not cached).</summary>
    private (DbCommand Command, bool Owned) GetCommand(DbConnection c, int rows)
    {
        if (!dialect.CachePreparedCommandsPerConnection)
        {
            return (CreateCommand(c, rows, prepare: false), true);
        }

        var cache = _prepared.GetOrCreateValue(c);
        if (!cache.TryGetValue(rows, out var cmd))
        {
            cmd = CreateCommand(c, rows, prepare: true);
            cache[rows] = cmd;
        }

        return (cmd, false);
    }

    private static DbCommand CreateCommand(DbConnection c, int rows, bool prepare)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = BuildLatestSql(rows);
        AddParameter(cmd, "@r", DbType.String);
        for (var i = 0; i < rows; i++)
        {
            AddParameter(cmd, $"@k{i}", DbType.String);
            AddParameter(cmd, $"@t{i}", DbType.Int64);
            AddParameter(cmd, $"@s{i}", DbType.Int64);
            AddParameter(cmd, $"@v{i}", DbType.Double);
            AddParameter(cmd, $"@n{i}", DbType.Int32);
        }

        if (prepare)
        {
            cmd.Prepare();
        }

        return cmd;
    }

    private static void AddParameter(DbCommand cmd, string name, DbType type)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.DbType = type;
        p.Value = DBNull.Value;
        cmd.Parameters.Add(p);
    }

    private static List<Metric> LatestPerKey(IReadOnlyList<Metric> metrics)
    {
        var best = new Dictionary<string, Metric>(StringComparer.Ordinal);
        foreach (var m in metrics)
        {
            if (!best.TryGetValue(m.Key, out var current) || IsLater(m, current))
            {
                best[m.Key] = m;
            }
        }

        return [.. best.Values];
    }

    private static string BuildLatestSql(int rows)
    {
        var sb = new StringBuilder("INSERT INTO latest_metrics (run_id, key, timestamp, step, value, is_nan) VALUES ");
        for (var i = 0; i < rows; i++)
        {
            sb.Append(i == 0 ? "" : ", ").Append($"(@r, @k{i}, @t{i}, @s{i}, @v{i}, @n{i})");
        }

        // Same order as IsLater: step, then timestamp, then value with NaN lowest.
        return sb.Append("""
             ON CONFLICT (run_id, key) DO UPDATE SET
                value = excluded.value, timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan
             WHERE excluded.step > latest_metrics.step
                OR (excluded.step = latest_metrics.step AND (excluded.timestamp > latest_metrics.timestamp
                    OR (excluded.timestamp = latest_metrics.timestamp AND excluded.is_nan = 0
                        AND (latest_metrics.is_nan = 1 OR excluded.value > latest_metrics.value))))
            """).ToString();
    }
}
