using System.Globalization;
using System.Text;
using CommunityToolkit.HighPerformance.Buffers;
using Dapper;
using Microsoft.Data.Sqlite;
using Strata.Core.Errors;
using Strata.Storage.Database;

namespace Strata.Storage.Serving;

/// <summary>
/// Writes batches of prediction log entries as segments (one row per model version per batch, see
/// <see cref="PredictionLogSegment"/>) in one transaction, and reads them back by model, version and time range, newest
/// first, with keyset paging on (timestamp, entry id).
/// </summary>
public sealed class PredictionLogStore(IDatabase database)
{
    /// <summary>Segments fetched per round trip while a page is gathered.</summary>
    private const int SegmentsPerRead = 8;

    private const string InsertSql =
        "INSERT INTO prediction_log_segments (model_name, model_version, min_timestamp_ms, max_timestamp_ms, entry_count, format, entries) ";

    public Task InsertAsync(IReadOnlyList<PredictionLogRecord> records, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return Task.CompletedTask;
        }

        foreach (var r in records)
        {
            Require(r.RequestId, "request_id");
            Require(r.ModelName, "model_name");
            Require(r.ModelVersion, "model_version");
            Require(r.Protocol, "protocol");
        }

        return InsertSegmentsAsync(GroupByModel(records), ct);
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
        var wanted = query.MaxResults + 1;
        var found = await database.ReadAsync(
            async (c, token) =>
            {
                // Segments come newest (by their newest entry) first. Once a page's worth of entries is held, a segment
                // whose newest entry is older than the page's oldest cannot change the page, and neither can any after it.
                var best = new List<PredictionLogRecord>();
                (long MaxTimestampMs, long SegmentId)? cursor = null;
                while (true)
                {
                    // The segments' keys come from an index alone; only the chosen segments' entries are then read.
                    var sql = SegmentQuery(query, after, cursor, out var parameters);
                    var segments = (await c.QueryAsync<SegmentKey>(new CommandDefinition(sql, parameters, cancellationToken: token)).ConfigureAwait(false)).AsList();
                    var entries = segments.Count == 0
                        ? []
                        : (await c.QueryAsync<SegmentEntries>(new CommandDefinition(
                            "SELECT segment_id AS SegmentId, format AS Format, entries AS Entries FROM prediction_log_segments WHERE segment_id IN @ids",
                            new { ids = segments.Select(k => k.SegmentId).ToArray() },
                            cancellationToken: token)).ConfigureAwait(false)).ToDictionary(e => e.SegmentId, ReadableEntries);
                    foreach (var segment in segments)
                    {
                        if (best.Count >= wanted && segment.MaxTimestampMs < best[wanted - 1].TimestampMs)
                        {
                            return best;
                        }

                        token.ThrowIfCancellationRequested();
                        foreach (var entry in PredictionLogSegment.Read(segment.SegmentId, segment.ModelName, segment.ModelVersion, Encoding.UTF8.GetBytes(entries[segment.SegmentId])))
                        {
                            if (Matches(entry, query, after))
                            {
                                best.Add(entry);
                            }
                        }

                        if (best.Count >= wanted)
                        {
                            best.Sort(NewestFirst);
                            best.RemoveRange(wanted, best.Count - wanted);
                        }
                    }

                    if (segments.Count < SegmentsPerRead)
                    {
                        return best;
                    }

                    cursor = (segments[^1].MaxTimestampMs, segments[^1].SegmentId);
                }
            },
            ct).ConfigureAwait(false);

        found.Sort(NewestFirst);
        string? next = null;
        if (found.Count > query.MaxResults)
        {
            found.RemoveRange(query.MaxResults, found.Count - query.MaxResults);
            next = EncodeToken(found[^1].TimestampMs, found[^1].LogId);
        }

        return new PredictionLogPage(found, next);
    }

    private async Task InsertSegmentsAsync(IReadOnlyList<PredictionLogRecord> records, CancellationToken ct)
    {
        // Every segment is encoded before the transaction (a PostgreSQL retry re-sends the same bytes) into one pooled
        // buffer: a batch's segments run to a few hundred KB, which as fresh arrays would land on the large object heap.
        using var buffer = new ArrayPoolBufferWriter<byte>(64 * 1024);
        var segments = new List<Segment>();
        var start = 0;
        while (start < records.Count)
        {
            var count = 1;
            while (start + count < records.Count && count < PredictionLogSegment.MaxEntries && SameModel(records[start], records[start + count]))
            {
                count++;
            }

            var offset = buffer.WrittenCount;
            PredictionLogSegment.Write(buffer, records, start, count);
            var (min, max) = TimeBounds(records, start, count);
            segments.Add(new Segment(records[start].ModelName, records[start].ModelVersion, min, max, count, offset, buffer.WrittenCount - offset));
            start += count;
        }

        await database.WriteAsync(
            async (c, tx, token) =>
            {
                if (database.Dialect.Kind == SqlDialectKind.Sqlite)
                {
                    SqliteSegmentWriter.Insert((SqliteConnection)c, InsertSql + "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", segments, buffer.WrittenSpan);
                    return 0;
                }

                foreach (var s in segments)
                {
                    await c.ExecuteAsync(new CommandDefinition(
                        InsertSql + "VALUES (@model, @version, @min, @max, @count, @format, CAST(@entries AS json))",
                        new
                        {
                            model = s.ModelName,
                            version = s.ModelVersion,
                            min = s.MinTimestampMs,
                            max = s.MaxTimestampMs,
                            count = s.Count,
                            format = PredictionLogSegment.Format,
                            entries = Encoding.UTF8.GetString(buffer.WrittenSpan.Slice(s.Offset, s.Length)),
                        },
                        tx,
                        cancellationToken: token)).ConfigureAwait(false);
                }

                return 0;
            },
            ct).ConfigureAwait(false);
    }

    /// <summary>The records with each model version's entries together, in logged order (usually already so: one model).</summary>
    private static IReadOnlyList<PredictionLogRecord> GroupByModel(IReadOnlyList<PredictionLogRecord> records)
    {
        // Usually one model; GroupBy keeps groups in order of first appearance and entries in order within each.
        return records.All(r => SameModel(records[0], r))
            ? records
            : records.GroupBy(r => (r.ModelName, r.ModelVersion)).SelectMany(g => g).ToList();
    }

    private static bool SameModel(PredictionLogRecord a, PredictionLogRecord b) =>
        string.Equals(a.ModelName, b.ModelName, StringComparison.Ordinal) && string.Equals(a.ModelVersion, b.ModelVersion, StringComparison.Ordinal);

    private static (long Min, long Max) TimeBounds(IReadOnlyList<PredictionLogRecord> records, int start, int count)
    {
        var (min, max) = (long.MaxValue, long.MinValue);
        for (var i = start; i < start + count; i++)
        {
            min = Math.Min(min, records[i].TimestampMs);
            max = Math.Max(max, records[i].TimestampMs);
        }

        return (min, max);
    }

    private static void Require(string? value, string field)
    {
        if (value is null)
        {
            throw new ArgumentException($"A prediction log entry needs {field}.");
        }
    }

    internal static string SegmentQuery(PredictionLogQuery query, (long TimestampMs, long LogId)? after, (long MaxTimestampMs, long SegmentId)? cursor, out DynamicParameters parameters)
    {
        var sql = new StringBuilder(
            "SELECT segment_id AS SegmentId, model_name AS ModelName, model_version AS ModelVersion, max_timestamp_ms AS MaxTimestampMs "
            + "FROM prediction_log_segments WHERE 1 = 1");
        parameters = new DynamicParameters();
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
            sql.Append(" AND max_timestamp_ms >= @start");
            parameters.Add("start", start);
        }

        if (query.EndTimeMs is { } end)
        {
            sql.Append(" AND min_timestamp_ms <= @end");
            parameters.Add("end", end);
        }

        if (after is { } a)
        {
            // Entries before the page token are at most its time; a segment holding none of them is skipped.
            sql.Append(" AND min_timestamp_ms <= @afterTs");
            parameters.Add("afterTs", a.TimestampMs);
        }

        if (cursor is { } k)
        {
            sql.Append(" AND (max_timestamp_ms < @cursorTs OR (max_timestamp_ms = @cursorTs AND segment_id < @cursorId))");
            parameters.Add("cursorTs", k.MaxTimestampMs);
            parameters.Add("cursorId", k.SegmentId);
        }

        sql.Append(" ORDER BY max_timestamp_ms DESC, segment_id DESC LIMIT @segments");
        parameters.Add("segments", SegmentsPerRead);
        return sql.ToString();
    }

    /// <summary>A segment's entries, if this build knows their format (a newer server may have written others).</summary>
    private static string ReadableEntries(SegmentEntries segment) =>
        segment.Format == PredictionLogSegment.Format
            ? segment.Entries
            : throw new InvalidOperationException(
                $"Prediction log segment {segment.SegmentId} is in format {segment.Format}; this server reads format {PredictionLogSegment.Format}. Upgrade it to read this log.");

    private static bool Matches(PredictionLogRecord entry, PredictionLogQuery query, (long TimestampMs, long LogId)? after) =>
        entry.TimestampMs >= (query.StartTimeMs ?? long.MinValue)
        && entry.TimestampMs <= (query.EndTimeMs ?? long.MaxValue)
        && (after is not { } a || entry.TimestampMs < a.TimestampMs || (entry.TimestampMs == a.TimestampMs && entry.LogId < a.LogId));

    private static int NewestFirst(PredictionLogRecord x, PredictionLogRecord y)
    {
        var byTime = y.TimestampMs.CompareTo(x.TimestampMs);
        return byTime != 0 ? byTime : y.LogId.CompareTo(x.LogId);
    }

    private static string EncodeToken(long timestampMs, long logId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"p2:{timestampMs}:{logId}")));

    private static (long TimestampMs, long LogId)? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        try
        {
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(token)).Split(':');
            if (parts.Length == 3 && parts[0] == "p2"
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

    /// <summary>One segment of an insert: its model version, time bounds, entry count and bytes in the shared buffer.</summary>
    internal sealed record Segment(string ModelName, string ModelVersion, long MinTimestampMs, long MaxTimestampMs, int Count, int Offset, int Length);

    // Dapper maps columns by name onto these mutable shapes.
    private sealed class SegmentKey
    {
        public long SegmentId { get; set; }

        public string ModelName { get; set; } = "";

        public string ModelVersion { get; set; } = "";

        public long MaxTimestampMs { get; set; }
    }

    private sealed class SegmentEntries
    {
        public long SegmentId { get; set; }

        public long Format { get; set; }

        public string Entries { get; set; } = "";
    }
}
