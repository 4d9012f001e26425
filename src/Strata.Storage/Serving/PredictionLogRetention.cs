using Dapper;
using Strata.Storage.Database;

namespace Strata.Storage.Serving;

/// <summary>What one retention pass removed.</summary>
public sealed record RetentionResult(long SegmentsDeleted, long EntriesDeleted);

/// <summary>
/// Applies a <see cref="LogRetention"/> to the prediction log. Entries live in segments (one writer batch each, spanning
/// milliseconds), so a segment is deleted when its newest entry is past the age: one DELETE removes a batch of whole
/// segments picked from the time index, never a statement per entry. The size limit drops the oldest segments until the
/// stored entries fit.
/// </summary>
public sealed class PredictionLogRetention(IDatabase database)
{
    /// <summary>Segments one DELETE removes: short transactions that never hold the writer for long.</summary>
    public const int SegmentsPerStatement = 1000;

    public async Task<RetentionResult> ApplyAsync(LogRetention retention, long nowMs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(retention);
        var total = new RetentionResult(0, 0);
        if (retention.MaxAge is { } age)
        {
            total = Add(total, await DeleteOlderThanAsync(nowMs - (long)age.TotalMilliseconds, ct).ConfigureAwait(false));
        }

        if (retention.MaxBytes is { } bytes)
        {
            total = Add(total, await TrimToSizeAsync(bytes, ct).ConfigureAwait(false));
        }

        return total;
    }

    /// <summary>Deletes every segment whose newest entry is older than <paramref name="cutoffMs"/>.</summary>
    public async Task<RetentionResult> DeleteOlderThanAsync(long cutoffMs, CancellationToken ct)
    {
        long segments = 0, entries = 0;
        while (true)
        {
            var counts = await database.WriteAsync(async (c, tx, token) =>
                (await c.QueryAsync<long>(new CommandDefinition(
                    """
                    DELETE FROM prediction_log_segments WHERE segment_id IN (
                        SELECT segment_id FROM prediction_log_segments WHERE max_timestamp_ms < @cutoffMs ORDER BY max_timestamp_ms LIMIT @limit)
                    RETURNING entry_count
                    """,
                    new { cutoffMs, limit = SegmentsPerStatement }, tx, cancellationToken: token)).ConfigureAwait(false)).ToList(), ct).ConfigureAwait(false);
            segments += counts.Count;
            entries += counts.Sum();
            if (counts.Count < SegmentsPerStatement)
            {
                return new RetentionResult(segments, entries);
            }
        }
    }

    /// <summary>Keeps the newest segments whose entries add up to at most <paramref name="maxBytes"/> and deletes the rest.</summary>
    public async Task<RetentionResult> TrimToSizeAsync(long maxBytes, CancellationToken ct)
    {
        var length = database.Dialect.Kind == SqlDialectKind.Postgres ? "octet_length(entries::text)" : "length(CAST(entries AS BLOB))";
        var doomed = await database.ReadAsync(async (c, token) =>
        {
            var ids = new List<long>();
            long kept = 0;
            // Newest first; once the budget is spent every older segment goes.
            using var reader = await c.ExecuteReaderAsync(new CommandDefinition(
                $"SELECT segment_id, {length} FROM prediction_log_segments ORDER BY max_timestamp_ms DESC, segment_id DESC",
                cancellationToken: token)).ConfigureAwait(false);
            while (await reader.ReadAsync(token).ConfigureAwait(false))
            {
                kept += reader.GetInt64(1);
                if (kept > maxBytes)
                {
                    ids.Add(reader.GetInt64(0));
                }
            }

            return ids;
        }, ct).ConfigureAwait(false);

        long segments = 0, entries = 0;
        foreach (var chunk in doomed.Chunk(SegmentsPerStatement))
        {
            var counts = await database.WriteAsync(async (c, tx, token) =>
                (await c.QueryAsync<long>(new CommandDefinition(
                    $"DELETE FROM prediction_log_segments WHERE segment_id IN (SELECT value FROM {database.Dialect.ListTable("@ids", "s")}) RETURNING entry_count",
                    new { ids = database.Dialect.IntegerListValue(chunk) }, tx, cancellationToken: token)).ConfigureAwait(false)).ToList(), ct).ConfigureAwait(false);
            segments += counts.Count;
            entries += counts.Sum();
        }

        return new RetentionResult(segments, entries);
    }

    private static RetentionResult Add(RetentionResult a, RetentionResult b) => new(a.SegmentsDeleted + b.SegmentsDeleted, a.EntriesDeleted + b.EntriesDeleted);
}
