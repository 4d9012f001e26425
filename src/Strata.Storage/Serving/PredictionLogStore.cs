using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Strata.Core.Errors;
using Strata.Storage.Database;

namespace Strata.Storage.Serving;

/// <summary>
/// Writes batches of prediction log rows (multi-row INSERTs in one transaction) and reads them back by model, version
/// and time range, newest first, with keyset paging on (timestamp, id).
/// </summary>
public sealed class PredictionLogStore(IDatabase database)
{
    private const int ColumnsPerRow = 10;

    /// <summary>
    /// Rows per INSERT statement on PostgreSQL, where many rows a statement save round trips. (SQLite takes the raw
    /// per-row path of <see cref="SqlitePredictionLogInserter"/>.) Either way the whole batch is one transaction.
    /// </summary>
    private int RowsPerInsert => Math.Min(200, database.Dialect.MaxParametersPerStatement / ColumnsPerRow);

    public Task InsertAsync(IReadOnlyList<PredictionLogRecord> records, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        if (database.Dialect.Kind == SqlDialectKind.Sqlite)
        {
            return database.WriteAsync(
                (c, _, _) =>
                {
                    SqlitePredictionLogInserter.Insert((SqliteConnection)c, records);
                    return Task.FromResult(0);
                },
                ct);
        }

        var rowsPerInsert = RowsPerInsert;
        return database.WriteAsync(
            async (c, tx, token) =>
            {
                // One prepared statement for the full chunks (values re-bound in place), one more for the remainder.
                var full = records.Count / rowsPerInsert;
                if (full > 0)
                {
                    await using var command = BuildInsert(c, tx, rowsPerInsert);
                    for (var chunk = 0; chunk < full; chunk++)
                    {
                        Bind(command, records, chunk * rowsPerInsert, rowsPerInsert);
                        if (chunk == 0 && full > 1)
                        {
                            // Prepared once values are bound, so the provider knows the parameter types.
                            await command.PrepareAsync(token).ConfigureAwait(false);
                        }

                        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                    }
                }

                var rest = records.Count - (full * rowsPerInsert);
                if (rest > 0)
                {
                    await using var command = BuildInsert(c, tx, rest);
                    Bind(command, records, full * rowsPerInsert, rest);
                    await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }

                return 0;
            },
            ct);
    }

    public async Task<PredictionLogPage> SearchAsync(PredictionLogQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.MaxResults is < 1 or > PredictionLogQuery.MaxMaxResults)
        {
            throw MlflowException.InvalidParameter(
                $"max_results must be between 1 and {PredictionLogQuery.MaxMaxResults}, got {query.MaxResults}.");
        }

        if (query.ModelVersion is not null && query.ModelName is null)
        {
            throw MlflowException.InvalidParameter("version needs model: give the model name as well.");
        }

        var after = DecodeToken(query.PageToken);
        var sql = new StringBuilder(
            "SELECT log_id AS LogId, request_id AS RequestId, model_name AS ModelName, model_version AS ModelVersion, "
            + "timestamp_ms AS TimestampMs, latency_us AS LatencyMicroseconds, status_code AS StatusCode, protocol AS Protocol, "
            + "inputs AS Inputs, outputs AS Outputs, error_message AS ErrorMessage FROM prediction_log WHERE 1 = 1");
        var parameters = new DynamicParameters();
        if (query.ModelName is not null)
        {
            sql.Append(" AND model_name = @model");
            parameters.Add("model", query.ModelName);
        }

        if (query.ModelVersion is not null)
        {
            sql.Append(" AND model_version = @version");
            parameters.Add("version", query.ModelVersion);
        }

        if (query.StartTimeMs is { } start)
        {
            sql.Append(" AND timestamp_ms >= @start");
            parameters.Add("start", start);
        }

        if (query.EndTimeMs is { } end)
        {
            sql.Append(" AND timestamp_ms <= @end");
            parameters.Add("end", end);
        }

        if (after is { } a)
        {
            sql.Append(" AND (timestamp_ms < @afterTs OR (timestamp_ms = @afterTs AND log_id < @afterId))");
            parameters.Add("afterTs", a.TimestampMs);
            parameters.Add("afterId", a.LogId);
        }

        sql.Append(" ORDER BY timestamp_ms DESC, log_id DESC LIMIT @limit");
        parameters.Add("limit", query.MaxResults + 1);

        var rows = await database.ReadAsync(
            async (c, token) => (await c.QueryAsync<Row>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: token)).ConfigureAwait(false)).ToList(),
            ct).ConfigureAwait(false);
        string? next = null;
        if (rows.Count > query.MaxResults)
        {
            rows.RemoveAt(rows.Count - 1);
            next = EncodeToken(rows[^1].TimestampMs, rows[^1].LogId);
        }

        return new PredictionLogPage(rows.Select(r => r.ToRecord()).ToList(), next);
    }

    private static DbCommand BuildInsert(DbConnection c, DbTransaction tx, int rows)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        var sql = new StringBuilder(
            "INSERT INTO prediction_log (request_id, model_name, model_version, timestamp_ms, latency_us, status_code, protocol, inputs, outputs, error_message) VALUES ");
        for (var row = 0; row < rows; row++)
        {
            sql.Append(row == 0 ? "(" : ",(");
            for (var column = 0; column < ColumnsPerRow; column++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"@p{row}_{column}");
                sql.Append(column == 0 ? "" : ",").Append(name);
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                command.Parameters.Add(parameter);
            }

            sql.Append(')');
        }

        command.CommandText = sql.ToString();
        return command;
    }

    private static void Bind(DbCommand command, IReadOnlyList<PredictionLogRecord> records, int start, int count)
    {
        var parameters = command.Parameters;
        for (var i = 0; i < count; i++)
        {
            var r = records[start + i];
            var at = i * ColumnsPerRow;
            parameters[at].Value = r.RequestId;
            parameters[at + 1].Value = r.ModelName;
            parameters[at + 2].Value = r.ModelVersion;
            parameters[at + 3].Value = r.TimestampMs;
            parameters[at + 4].Value = r.LatencyMicroseconds;
            parameters[at + 5].Value = r.StatusCode;
            parameters[at + 6].Value = r.Protocol;
            parameters[at + 7].Value = (object?)r.Inputs ?? DBNull.Value;
            parameters[at + 8].Value = (object?)r.Outputs ?? DBNull.Value;
            parameters[at + 9].Value = (object?)r.ErrorMessage ?? DBNull.Value;
        }
    }

    private static string EncodeToken(long timestampMs, long logId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"p1:{timestampMs}:{logId}")));

    private static (long TimestampMs, long LogId)? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            if (parts.Length == 3 && parts[0] == "p1"
                && long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ts)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                return (ts, id);
            }
        }
        catch (FormatException)
        {
        }

        throw MlflowException.InvalidParameter($"Invalid page_token '{token}'.");
    }

    // Dapper maps columns by name onto this mutable shape; the record stays immutable.
    private sealed class Row
    {
        public long LogId { get; set; }

        public string RequestId { get; set; } = "";

        public string ModelName { get; set; } = "";

        public string ModelVersion { get; set; } = "";

        public long TimestampMs { get; set; }

        public long LatencyMicroseconds { get; set; }

        public long StatusCode { get; set; }

        public string Protocol { get; set; } = "";

        public string? Inputs { get; set; }

        public string? Outputs { get; set; }

        public string? ErrorMessage { get; set; }

        public PredictionLogRecord ToRecord() => new(
            RequestId, ModelName, ModelVersion, TimestampMs, LatencyMicroseconds, (int)StatusCode, Protocol, Inputs, Outputs, ErrorMessage)
        {
            LogId = LogId,
        };
    }
}
