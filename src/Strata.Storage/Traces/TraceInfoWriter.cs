using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using System.Text;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Traces;

/// <summary>
/// The hot path of StartTraceV3: the experiment check, the trace_info row and its tag and metadata rows. Commands are
/// built by hand with their parameters re-bound in place (no Dapper reflection per call), and on SQLite's long-lived
/// writer connection they are prepared once and kept, so a trace costs a few executions of already compiled
/// statements rather than a parse and plan of each. Pairs go one row per statement on SQLite (a re-executed 1-row
/// statement beats multi-row ones there, see <see cref="SqlDialect.MetricRowsPerInsert"/>), as multi-row statements
/// on PostgreSQL, where round trips are what costs.
/// </summary>
internal sealed class TraceInfoWriter(SqlDialect dialect)
{
    private const int PairColumns = 2;

    private readonly ConditionalWeakTable<DbConnection, Dictionary<string, DbCommand>> _prepared = new();

    private const string ExperimentSql =
        "SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = @id";

    // Insert-or-nothing tells a new trace from one that span logging (OTLP) created first, in one statement.
    private const string InsertInfoSql =
        """
        INSERT INTO trace_info (trace_id, experiment_id, client_request_id, timestamp_ms, execution_time_ms, state, request_preview, response_preview)
        VALUES (@t, @e, @c, @ts, @d, @s, @rq, @rs)
        ON CONFLICT (trace_id) DO NOTHING RETURNING trace_id
        """;

    /// <summary>The experiment's artifact location and lifecycle stage, or null when there is no such experiment.</summary>
    public async Task<(string ArtifactLocation, string LifecycleStage)?> ReadExperimentAsync(DbConnection c, DbTransaction tx, long experimentId, CancellationToken ct)
    {
        var (cmd, owned) = GetCommand(c, "experiment", () => Create(c, ExperimentSql, ("@id", DbType.Int64)));
        try
        {
            cmd.Transaction = tx;
            cmd.Parameters[0].Value = experimentId;
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            if (!await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                return null;
            }

            return (reader.GetString(0), reader.GetString(1));
        }
        finally
        {
            await ReleaseAsync(cmd, owned).ConfigureAwait(false);
        }
    }

    /// <summary>Inserts the trace_info row; false when a row with that trace id already exists (nothing written).</summary>
    public async Task<bool> TryInsertInfoAsync(DbConnection c, DbTransaction tx, NewTrace trace, long experimentId, CancellationToken ct)
    {
        var (cmd, owned) = GetCommand(c, "info", () => Create(c, InsertInfoSql,
            ("@t", DbType.String), ("@e", DbType.Int64), ("@c", DbType.String), ("@ts", DbType.Int64), ("@d", DbType.Int64),
            ("@s", DbType.String), ("@rq", DbType.String), ("@rs", DbType.String)));
        try
        {
            cmd.Transaction = tx;
            var p = cmd.Parameters;
            p[0].Value = trace.TraceId;
            p[1].Value = experimentId;
            p[2].Value = (object?)trace.ClientRequestId ?? DBNull.Value;
            p[3].Value = trace.RequestTimeMs;
            p[4].Value = (object?)trace.ExecutionDurationMs ?? DBNull.Value;
            p[5].Value = trace.State.ToString();
            p[6].Value = (object?)trace.RequestPreview ?? DBNull.Value;
            p[7].Value = (object?)trace.ResponsePreview ?? DBNull.Value;
            return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not (null or DBNull);
        }
        finally
        {
            await ReleaseAsync(cmd, owned).ConfigureAwait(false);
        }
    }

    /// <summary>Upserts a trace's pairs into <paramref name="table"/> (one of this assembly's trace pair tables, never input).</summary>
    public async Task UpsertPairsAsync(DbConnection c, DbTransaction tx, string table, string traceId, IReadOnlyList<KeyValue> pairs, CancellationToken ct)
    {
        if (pairs.Count == 0)
        {
            return;
        }

        var perStatement = dialect.CachePreparedCommandsPerConnection ? 1 : Math.Min(200, (dialect.MaxParametersPerStatement - 1) / PairColumns);
        for (var start = 0; start < pairs.Count; start += perStatement)
        {
            var count = Math.Min(perStatement, pairs.Count - start);
            var (cmd, owned) = GetCommand(c, table + ":" + count, () => CreatePairs(c, table, count));
            try
            {
                cmd.Transaction = tx;
                var p = cmd.Parameters;
                p[0].Value = traceId;
                for (var i = 0; i < count; i++)
                {
                    p[1 + (i * PairColumns)].Value = pairs[start + i].Key;
                    p[2 + (i * PairColumns)].Value = pairs[start + i].Value;
                }

                await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                await ReleaseAsync(cmd, owned).ConfigureAwait(false);
            }
        }
    }

    private static DbCommand CreatePairs(DbConnection c, string table, int rows)
    {
        var sql = new StringBuilder("INSERT INTO ").Append(table).Append(" (trace_id, key, value) VALUES ");
        var parameters = new List<(string, DbType)>(1 + (rows * PairColumns)) { ("@t", DbType.String) };
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append("(@t, @k").Append(i).Append(", @v").Append(i).Append(')');
            parameters.Add(("@k" + i, DbType.String));
            parameters.Add(("@v" + i, DbType.String));
        }

        sql.Append(" ON CONFLICT (trace_id, key) DO UPDATE SET value = excluded.value");
        return Create(c, sql.ToString(), [.. parameters]);
    }

    private static DbCommand Create(DbConnection c, string sql, params (string Name, DbType Type)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, type) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.DbType = type;
            p.Value = DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    /// <summary>A command for <paramref name="key"/>; owned = the caller disposes it (not cached).</summary>
    private (DbCommand Command, bool Owned) GetCommand(DbConnection c, string key, Func<DbCommand> create)
    {
        if (!dialect.CachePreparedCommandsPerConnection)
        {
            return (create(), true);
        }

        var cache = _prepared.GetOrCreateValue(c);
        if (!cache.TryGetValue(key, out var cmd))
        {
            cmd = create();
            cmd.Prepare();
            cache[key] = cmd;
        }

        return (cmd, false);
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
}
