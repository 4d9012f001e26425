using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace Strata.Bench;

/// <summary>
/// The raw ceiling for log-batch: the same metric rows inserted straight into a fresh SQLite file with prepared
/// multi-row INSERTs (WAL, synchronous=NORMAL), into a history table keyed like the server's
/// (run, key, timestamp, step, value, is_nan) with a by-step index. No HTTP, no JSON, no validation, no latest-value
/// upkeep: what the server does on top of this is what the ratio shows.
/// </summary>
internal static class SqliteCeiling
{
    public const int BatchesPerTransaction = 10;

    /// <summary>
    /// Microsoft.Data.Sqlite binds every parameter by name and SQLite looks names up linearly, so binding is
    /// quadratic in the statement's size: 1000-row statements (6000 parameters) ran at ~9k rows/s here, while
    /// 10-25 rows per statement all reach the plateau where the B-tree inserts dominate.
    /// </summary>
    public const int RowsPerStatement = 20;

    public static TimeSpan Run(string directory, MetricBatches batches, int batchCount)
    {
        var rowsPerStatement = batches.BatchSize % RowsPerStatement == 0 ? RowsPerStatement : 1;

        var path = Path.Combine(directory, $"ceiling-{Guid.NewGuid():N}.db");
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            connection.Open();
            Execute(connection, """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                CREATE TABLE metrics (
                    run_id TEXT NOT NULL,
                    key TEXT NOT NULL,
                    timestamp INTEGER NOT NULL,
                    step INTEGER NOT NULL,
                    value REAL NOT NULL,
                    is_nan INTEGER NOT NULL,
                    PRIMARY KEY (run_id, key, timestamp, step, value, is_nan)
                ) WITHOUT ROWID;
                CREATE INDEX ix_metrics_step ON metrics (run_id, key, step);
                """);

            var rows = new MetricPoint[batches.BatchSize];
            using var insert = Prepare(connection, rowsPerStatement);
            var start = Stopwatch.GetTimestamp();
            SqliteTransaction? tx = null;
            for (var b = 0; b < batchCount; b++)
            {
                if (b % BatchesPerTransaction == 0)
                {
                    tx?.Commit();
                    tx?.Dispose();
                    tx = connection.BeginTransaction();
                    insert.Transaction = tx;
                }
                batches.Fill(b, rows);
                var run = batches.RunFor(b);
                var parameters = insert.Parameters;
                for (var offset = 0; offset < rows.Length; offset += rowsPerStatement)
                {
                    for (var j = 0; j < rowsPerStatement; j++)
                    {
                        var row = rows[offset + j];
                        var p = j * 6;
                        parameters[p].Value = run;
                        parameters[p + 1].Value = row.Key;
                        parameters[p + 2].Value = row.Timestamp;
                        parameters[p + 3].Value = row.Step;
                        parameters[p + 4].Value = row.Value;
                        parameters[p + 5].Value = 0;
                    }
                    insert.ExecuteNonQuery();
                }
            }
            tx?.Commit();
            tx?.Dispose();
            return Stopwatch.GetElapsedTime(start);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(path + suffix);
            }
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, int rowsPerStatement)
    {
        var command = connection.CreateCommand();
        var sql = new System.Text.StringBuilder("INSERT OR IGNORE INTO metrics (run_id, key, timestamp, step, value, is_nan) VALUES ");
        for (var j = 0; j < rowsPerStatement; j++)
        {
            sql.Append(j == 0 ? "" : ",").Append("(@r").Append(j).Append(",@k").Append(j).Append(",@t").Append(j)
                .Append(",@s").Append(j).Append(",@v").Append(j).Append(",@n").Append(j).Append(')');
            foreach (var name in new[] { "@r", "@k", "@t", "@s", "@v", "@n" })
            {
                command.Parameters.Add(new SqliteParameter(name + j, null));
            }
        }
        command.CommandText = sql.ToString();
        command.Prepare();
        return command;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
