using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
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

    /// <summary>Rows per INSERT statement: big enough to save round trips, well under every parameter limit.</summary>
    private int RowsPerInsert => Math.Min(200, database.Dialect.MaxParametersPerStatement / ColumnsPerRow);

    public Task InsertAsync(IReadOnlyList<PredictionLogRecord> records, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        return database.WriteAsync(
            async (c, tx, token) =>
            {
                for (var start = 0; start < records.Count; start += RowsPerInsert)
                {
                    var count = Math.Min(RowsPerInsert, records.Count - start);
                    await using var command = BuildInsert(c, tx, records, start, count);
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

    private DbCommand BuildInsert(DbConnection c, DbTransaction tx, IReadOnlyList<PredictionLogRecord> records, int start, int count)
    {
        var command = c.CreateCommand();
        command.Transaction = tx;
        var sql = new StringBuilder(
            "INSERT INTO prediction_log (request_id, model_name, model_version, timestamp_ms, latency_us, status_code, protocol, inputs, outputs, error_message) VALUES ");
        for (var i = 0; i < count; i++)
        {
            var r = records[start + i];
            if (i > 0)
            {
                sql.Append(',');
            }

            sql.Append('(');
            Add(command, sql, i, 0, r.RequestId);
            Add(command, sql, i, 1, r.ModelName);
            Add(command, sql, i, 2, r.ModelVersion);
            Add(command, sql, i, 3, r.TimestampMs);
            Add(command, sql, i, 4, r.LatencyMicroseconds);
            Add(command, sql, i, 5, r.StatusCode);
            Add(command, sql, i, 6, r.Protocol);
            Add(command, sql, i, 7, r.Inputs);
            Add(command, sql, i, 8, r.Outputs);
            Add(command, sql, i, 9, r.ErrorMessage);
            sql.Append(')');
        }

        command.CommandText = sql.ToString();
        return command;
    }

    private static void Add(DbCommand command, StringBuilder sql, int row, int column, object? value)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"@p{row}_{column}");
        if (column > 0)
        {
            sql.Append(',');
        }

        sql.Append(name);
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
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
