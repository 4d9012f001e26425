using System.Data;
using System.Data.Common;
using System.Text;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// The hot path of log-batch: metric points go in as multi-row INSERTs (duplicates dropped by the
/// history key), and <c>latest_metrics</c> gets one upsert per batch holding, per key, the greatest
/// (step, timestamp, value) of the batch, applied only where it beats the stored row.
/// Commands are built by hand rather than through Dapper: binding thousands of parameters through
/// reflection costs more than the insert itself.
/// </summary>
internal sealed class MetricBatchWriter(SqlDialect dialect)
{
    private const int HistoryColumnsPerRow = 8;

    // Statement texts depend only on the row count, so they are built once per count.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _historySql = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _latestSql = new();

    public async Task WriteAsync(DbConnection c, DbTransaction tx, string runId, IReadOnlyList<Metric> metrics, CancellationToken ct)
    {
        if (metrics.Count == 0)
        {
            return;
        }

        var perStatement = Math.Max(1, Math.Min(dialect.MetricRowsPerInsert, (dialect.MaxParametersPerStatement - 1) / HistoryColumnsPerRow));
        for (var start = 0; start < metrics.Count; start += perStatement)
        {
            var count = Math.Min(perStatement, metrics.Count - start);
            await using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = _historySql.GetOrAdd(count, BuildHistorySql);
            Add(cmd, "r", runId);
            for (var i = 0; i < count; i++)
            {
                var m = metrics[start + i];
                var isNan = double.IsNaN(m.Value);
                Add(cmd, "k" + i, m.Key);
                Add(cmd, "t" + i, m.Timestamp);
                Add(cmd, "s" + i, m.Step);
                Add(cmd, "v" + i, isNan ? 0d : m.Value);
                Add(cmd, "n" + i, isNan ? 1 : 0);
                Add(cmd, "m" + i, m.ModelId);
                Add(cmd, "dn" + i, m.DatasetName);
                Add(cmd, "dd" + i, m.DatasetDigest);
            }

            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var latest = LatestPerKey(metrics);
        const int latestColumns = 5;
        var latestPerStatement = Math.Max(1, (dialect.MaxParametersPerStatement - 1) / latestColumns);
        for (var start = 0; start < latest.Count; start += latestPerStatement)
        {
            var count = Math.Min(latestPerStatement, latest.Count - start);
            await using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = _latestSql.GetOrAdd(count, BuildLatestSql);
            Add(cmd, "r", runId);
            for (var i = 0; i < count; i++)
            {
                var m = latest[start + i];
                var isNan = double.IsNaN(m.Value);
                Add(cmd, "k" + i, m.Key);
                Add(cmd, "t" + i, m.Timestamp);
                Add(cmd, "s" + i, m.Step);
                Add(cmd, "v" + i, isNan ? 0d : m.Value);
                Add(cmd, "n" + i, isNan ? 1 : 0);
            }

            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
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

    private static void Add(DbCommand cmd, string name, object? value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value ?? DBNull.Value;
        if (value is null)
        {
            p.DbType = DbType.String;
        }

        cmd.Parameters.Add(p);
    }

    private static string BuildHistorySql(int rows)
    {
        var sb = new StringBuilder("INSERT INTO metrics (run_id, key, timestamp, step, value, is_nan, model_id, dataset_name, dataset_digest) VALUES ");
        for (var i = 0; i < rows; i++)
        {
            sb.Append(i == 0 ? "" : ", ")
              .Append($"(@r, @k{i}, @t{i}, @s{i}, @v{i}, @n{i}, @m{i}, @dn{i}, @dd{i})");
        }

        return sb.Append(" ON CONFLICT DO NOTHING").ToString();
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
