using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// Moves the per-point <c>metrics</c> rows written before migration 9 into <c>metric_blocks</c>. Rows are read in
/// the old table's key order (run, key, timestamp, step, value, is_nan) after a cursor, a batch at a time; each
/// batch's blocks and the advanced cursor commit in one transaction. A crash therefore loses at most the batch in
/// flight, and the next start (the migration runner calls this at every start) resumes after the cursor. When no
/// row is left the old table and the cursor are dropped, after which this returns at once.
/// </summary>
internal sealed class MetricHistoryConversion(IDatabase database, ILogger logger)
{
    /// <summary>Rows a transaction converts: big enough to amortise the commit, small enough to keep a crash cheap.</summary>
    public int RowsPerBatch { get; init; } = 50_000;

    /// <summary>Called inside each batch's transaction after its blocks are written (tests: a crash mid-batch).</summary>
    internal Func<int, CancellationToken, Task>? AfterBatchWritten { get; init; }

    /// <summary>Stops after this many committed batches without finishing (tests: a crash between batches).</summary>
    internal int? MaxBatches { get; init; }

    public async Task RunAsync(CancellationToken ct)
    {
        var batches = 0;
        while (MaxBatches is null || batches < MaxBatches)
        {
            ct.ThrowIfCancellationRequested();
            var batch = batches;
            var converted = await database.WriteAsync((c, tx, token) => ConvertBatchAsync(c, tx, batch, token), ct).ConfigureAwait(false);
            if (converted < 0)
            {
                return;
            }

            batches++;
            if (batches % 20 == 0)
            {
                logger.LogInformation("Metric history conversion: {Rows} rows converted to blocks so far", converted);
            }
        }
    }

    /// <summary>Converts one batch; returns the total rows converted so far, or -1 when there was nothing left.</summary>
    private async Task<long> ConvertBatchAsync(DbConnection c, DbTransaction tx, int batch, CancellationToken ct)
    {
        if (!await TableExistsAsync(c, tx, "metric_history_conversion", ct).ConfigureAwait(false))
        {
            return -1;
        }

        var cursor = await c.QuerySingleAsync<CursorRow>(new CommandDefinition(
            "SELECT run_id AS RunId, key AS Key, timestamp AS Timestamp, step AS Step, value AS Value, is_nan AS IsNan, converted_rows AS ConvertedRows " +
            "FROM metric_history_conversion WHERE id = 1", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
        var rows = (await c.QueryAsync<MetricRow>(new CommandDefinition(
            "SELECT run_id AS RunId, key AS Key, timestamp AS Timestamp, step AS Step, value AS Value, is_nan AS IsNan, " +
            "model_id AS ModelId, dataset_name AS DatasetName, dataset_digest AS DatasetDigest FROM metrics" +
            (cursor.RunId is null ? "" : " WHERE (run_id, key, timestamp, step, value, is_nan) > (@RunId, @Key, @Timestamp, @Step, @Value, @IsNan)") +
            " ORDER BY run_id, key, timestamp, step, value, is_nan LIMIT @take",
            new { cursor.RunId, cursor.Key, cursor.Timestamp, cursor.Step, cursor.Value, cursor.IsNan, take = RowsPerBatch },
            tx, cancellationToken: ct)).ConfigureAwait(false)).AsList();
        if (rows.Count == 0)
        {
            await c.ExecuteAsync(new CommandDefinition("DROP TABLE metrics", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            await c.ExecuteAsync(new CommandDefinition("DROP TABLE metric_history_conversion", transaction: tx, cancellationToken: ct)).ConfigureAwait(false);
            logger.LogInformation("Metric history conversion finished: {Rows} rows now in blocks", cursor.ConvertedRows);
            return -1;
        }

        var points = new List<BlockPoint>(MetricBlockWriter.BlockPoints);
        var extras = new Dictionary<(string?, string?, string?), MetricPointExtras>();
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            MetricPointExtras? extra = null;
            if (row.ModelId is not null || row.DatasetName is not null || row.DatasetDigest is not null)
            {
                var k = (row.ModelId, row.DatasetName, row.DatasetDigest);
                if (!extras.TryGetValue(k, out extra))
                {
                    extras[k] = extra = new MetricPointExtras(row.ModelId, row.DatasetName, row.DatasetDigest);
                }
            }

            points.Add(new BlockPoint(row.Timestamp, row.Step, row.IsNan != 0 ? double.NaN : row.Value, extra));
            var last = i == rows.Count - 1;
            if (last || points.Count == MetricBlockWriter.BlockPoints || rows[i + 1].RunId != row.RunId || rows[i + 1].Key != row.Key)
            {
                await MetricBlockWriter.InsertBlockAsync(c, tx, row.RunId, row.Key, points, ct).ConfigureAwait(false);
                points.Clear();
            }
        }

        var end = rows[^1];
        var total = cursor.ConvertedRows + rows.Count;
        await c.ExecuteAsync(new CommandDefinition(
            "UPDATE metric_history_conversion SET run_id = @RunId, key = @Key, timestamp = @Timestamp, step = @Step, value = @Value, is_nan = @IsNan, converted_rows = @total WHERE id = 1",
            new { end.RunId, end.Key, end.Timestamp, end.Step, end.Value, end.IsNan, total }, tx, cancellationToken: ct)).ConfigureAwait(false);
        if (AfterBatchWritten is { } hook)
        {
            await hook(batch, ct).ConfigureAwait(false);
        }

        return total;
    }

    private async Task<bool> TableExistsAsync(DbConnection c, DbTransaction tx, string table, CancellationToken ct) =>
        await c.ExecuteScalarAsync<long?>(new CommandDefinition(
            database.Dialect.Kind == SqlDialectKind.Sqlite
                ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = @table"
                : "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = @table",
            new { table }, tx, cancellationToken: ct)).ConfigureAwait(false) is not null;

    private sealed class CursorRow
    {
        public string? RunId { get; set; }
        public string? Key { get; set; }
        public long? Timestamp { get; set; }
        public long? Step { get; set; }
        public double? Value { get; set; }
        public long? IsNan { get; set; }
        public long ConvertedRows { get; set; }
    }
}
