using System.Buffers;
using System.Data.Common;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Strata.Core.Monitoring;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Storage.Monitoring;

/// <summary>
/// Reads a window of the prediction log for drift: the segments of one model version whose time bounds overlap the
/// window (chosen from the segments' index), and from each entry in the window that succeeded (status 200) the
/// request's inputs and the response's outputs into feature tables. A segment holds up to 4,096 entries (tens of
/// megabytes), so it is cut into chunks of whole entries that are parsed on every core, each worker into its own
/// tables, merged at the end (drift does not depend on row order). The bodies are unescaped into pooled buffers and
/// parsed from there; no entry becomes a record or a string. What a segment that lies wholly inside the window gave is
/// kept (<see cref="SegmentPartCache"/>, up to <c>cacheBytes</c>), so a later window over the same segments only
/// copies it out.
/// </summary>
public sealed class PredictionWindowReader(IDatabase database, long cacheBytes = PredictionWindowReader.DefaultCacheBytes) : IPredictionWindowSource
{
    /// <summary>About this many bytes of a segment go to one worker at a time.</summary>
    internal const int ChunkBytes = 1 << 20;

    /// <summary>The parsed segments kept by default: a window of about a million rows of 20 features.</summary>
    public const long DefaultCacheBytes = 256L << 20;

    private readonly SegmentPartCache _cache = new(cacheBytes);

    /// <summary>How much memory the parsed segments kept hold now (about).</summary>
    public long CachedBytes => _cache.Bytes;

    public Task<long> ReadWindowAsync(string modelName, string version, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        return database.ReadAsync(
            async (c, token) =>
            {
                // The index first, then each segment's entries on their own: PostgreSQL runs one command at a time on a
                // connection, and a kept segment's entries are never fetched at all. One snapshot for all of them, so a
                // segment retention deletes meanwhile is still there to read (a deferred transaction on SQLite: it
                // takes no write lock).
                await using var transaction = c is Microsoft.Data.Sqlite.SqliteConnection lite
                    ? lite.BeginTransaction(deferred: true)
                    : await c.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, token).ConfigureAwait(false);
                var segments = (await c.QueryAsync<(long SegmentId, long Format, long MinMs, long MaxMs, long EntryCount)>(new CommandDefinition(
                    """
                    SELECT segment_id, format, min_timestamp_ms, max_timestamp_ms, entry_count FROM prediction_log_segments
                    WHERE model_name = @modelName AND model_version = @version AND max_timestamp_ms >= @fromMs AND min_timestamp_ms <= @toMs
                    ORDER BY segment_id
                    """,
                    new { modelName, version, fromMs, toMs },
                    transaction,
                    cancellationToken: token)).ConfigureAwait(false)).ToList();

                var workers = Math.Max(1, Environment.ProcessorCount);
                var chunks = Channel.CreateBounded<Chunk>(workers * 4);
                var parts = Enumerable.Range(0, workers).Select(_ => (Inputs: new FeatureTable(), Outputs: new FeatureTable())).ToArray();
                var counts = new long[workers];
                var cached = new List<SegmentPart>();
                var parsed = new List<(SegmentKey Key, SegmentWork Work)>();
                var parsing = Enumerable.Range(0, workers).Select(w => Task.Run(
                    async () =>
                    {
                        var bodies = new BodyBuffers();
                        try
                        {
                            await foreach (var chunk in chunks.Reader.ReadAllAsync(token).ConfigureAwait(false))
                            {
                                try
                                {
                                    // A whole segment being kept is parsed into its own tables (per worker, so no lock).
                                    var (into, read) = chunk.Work is { } work ? (work.Tables[w] ??= (new FeatureTable(), new FeatureTable()), work.Counts) : (parts[w], counts);
                                    read[w] += ReadEntries(chunk.Span, bodies, fromMs, toMs, into.Inputs, into.Outputs);
                                }
                                finally
                                {
                                    chunk.Segment.Release();
                                }
                            }
                        }
                        catch (Exception e)
                        {
                            // Stop the reader too: with no one draining the channel its next write would wait forever.
                            chunks.Writer.TryComplete(e);
                            throw;
                        }
                        finally
                        {
                            bodies.Return();
                        }
                    },
                    token)).ToArray();

                try
                {
                    foreach (var (segmentId, format, minMs, maxMs, entryCount) in segments)
                    {
                        if (format != PredictionLogSegment.Format)
                        {
                            throw new InvalidOperationException(
                                $"Prediction log segment {segmentId} is in format {format}; this server reads format {PredictionLogSegment.Format}.");
                        }

                        var key = new SegmentKey(segmentId, modelName, version, minMs, maxMs, entryCount);
                        var whole = _cache.Enabled && minMs >= fromMs && maxMs <= toMs;
                        if (whole && _cache.TryGet(key, out var part))
                        {
                            cached.Add(part);
                            continue;
                        }

                        var work = whole ? new SegmentWork(workers) : null;
                        if (work is not null)
                        {
                            parsed.Add((key, work));
                        }

                        var segment = c is Microsoft.Data.Sqlite.SqliteConnection sqlite
                            ? LoadSegment(sqlite, segmentId)
                            : await LoadSegmentAsync(c, transaction, segmentId, token).ConfigureAwait(false);
                        try
                        {
                            foreach (var (offset, length) in Split(segment.Buffer.AsSpan(0, segment.Length), ChunkBytes))
                            {
                                segment.AddRef();
                                await chunks.Writer.WriteAsync(new Chunk(segment, offset, length, work), token).ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            segment.Release();
                        }
                    }
                }
                finally
                {
                    chunks.Writer.TryComplete();
                    await Task.WhenAll(parsing).ConfigureAwait(false);
                }

                foreach (var (key, work) in parsed)
                {
                    var part = new SegmentPart(work.Tables.Where(t => t.HasValue).Select(t => t!.Value).ToList(), work.Counts.Sum());
                    _cache.Add(key, part);
                    cached.Add(part);
                }

                var all = parts.Concat(cached.SelectMany(p => p.Tables)).ToList();

                // Each column grows once to its final size: merging part after part would copy the first ones twice.
                Reserve(inputs, all.Select(p => p.Inputs));
                Reserve(outputs, all.Select(p => p.Outputs));
                foreach (var (partInputs, partOutputs) in all)
                {
                    inputs.AddAll(partInputs);
                    outputs.AddAll(partOutputs);
                }

                return counts.Sum() + cached.Sum(p => p.Entries);
            },
            ct);
    }

    private static void Reserve(FeatureTable table, IEnumerable<FeatureTable> parts)
    {
        foreach (var group in parts.SelectMany(p => p.Columns).GroupBy(c => c.Name, StringComparer.Ordinal))
        {
            var existing = table.Find(group.Key)?.NumberCount ?? 0;
            table.Column(group.Key).EnsureCapacity(existing + group.Sum(c => c.NumberCount));
        }
    }

    /// <summary>A segment's entries on SQLite: the TEXT value's UTF-8 bytes as they are stored, read in place.</summary>
    private static SegmentBuffer LoadSegment(Microsoft.Data.Sqlite.SqliteConnection connection, long segmentId)
    {
        using var blob = new Microsoft.Data.Sqlite.SqliteBlob(connection, "prediction_log_segments", "entries", segmentId, readOnly: true);
        var length = (int)blob.Length;
        var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        var read = 0;
        while (read < length)
        {
            var n = blob.Read(bytes.AsSpan(read, length - read));
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        return new SegmentBuffer(bytes, read);
    }

    /// <summary>A segment's entries elsewhere (JSON on PostgreSQL, read as text) as UTF-8 in a pooled buffer.</summary>
    private static async Task<SegmentBuffer> LoadSegmentAsync(DbConnection connection, DbTransaction transaction, long segmentId, CancellationToken ct)
    {
        var text = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
            "SELECT entries FROM prediction_log_segments WHERE segment_id = @segmentId", new { segmentId }, transaction, cancellationToken: ct)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Prediction log segment {segmentId} was deleted while it was read.");
        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        return new SegmentBuffer(buffer, Encoding.UTF8.GetBytes(text, buffer));
    }

    /// <summary>
    /// Cuts a segment (<c>[[entry],[entry],...]</c>) into runs of whole entries of about <paramref name="chunkBytes"/>
    /// each, as (offset, length) of the entries between the outer brackets, separated by commas. An entry starts with
    /// its request id, so a boundary is the bytes <c>,["</c>: inside a string every quote is escaped (<c>\"</c>), and
    /// between an entry's fields a comma is never followed by a bracket.
    /// </summary>
    internal static List<(int Offset, int Length)> Split(ReadOnlySpan<byte> segment, int chunkBytes)
    {
        var chunks = new List<(int, int)>();
        var first = segment.IndexOf((byte)'[');
        var last = segment.LastIndexOf((byte)']');
        if (first < 0 || last <= first)
        {
            throw new JsonException("A prediction log segment is not a JSON array.");
        }

        var start = first + 1;
        while (start < last)
        {
            var end = last;
            if (last - start > chunkBytes)
            {
                var next = segment[(start + chunkBytes)..last].IndexOf(",[\""u8);
                if (next >= 0)
                {
                    end = start + chunkBytes + next;
                }
            }

            chunks.Add((start, end - start));
            start = end + 1;
        }

        return chunks;
    }

    /// <summary>The entries of a run of entries separated by commas that fall in the window, added to the tables; returns how many.</summary>
    internal static long ReadEntries(ReadOnlySpan<byte> entries, BodyBuffers bodies, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs)
    {
        long read = 0;
        while (!entries.IsEmpty)
        {
            var boundary = entries.IndexOf(",[\""u8);
            var entry = boundary < 0 ? entries : entries[..boundary];
            entries = boundary < 0 ? default : entries[(boundary + 1)..];
            read += ReadEntry(entry, bodies, fromMs, toMs, inputs, outputs) ? 1 : 0;
        }

        return read;
    }

    /// <summary>One entry, <c>[request_id, timestamp_ms, latency_us, status_code, protocol, inputs, outputs, error_message]</c>; true when it was in the window.</summary>
    private static bool ReadEntry(ReadOnlySpan<byte> entry, BodyBuffers bodies, long fromMs, long toMs, FeatureTable inputs, FeatureTable outputs)
    {
        var json = new Utf8JsonReader(entry);
        if (Next(ref json) != JsonTokenType.StartArray)
        {
            throw new JsonException("A prediction log entry is not an array.");
        }

        Next(ref json);
        Next(ref json);
        var timestamp = json.GetInt64();
        Next(ref json);
        Next(ref json);
        var status = json.GetInt32();
        Next(ref json);
        var protocol = json.ValueTextEquals("v2"u8) ? ScoringPayloadReader.V2Protocol : "mlflow";
        var wanted = status == 200 && timestamp >= fromMs && timestamp <= toMs;
        if (!wanted)
        {
            return false;
        }

        if (!bodies.TryCopyBodies(entry, (int)json.BytesConsumed, out var inputLength, out var outputLength))
        {
            Next(ref json);
            inputLength = bodies.CopyBody(ref json, 0);
            Next(ref json);
            outputLength = bodies.CopyBody(ref json, 1);
        }

        if (inputLength > 0)
        {
            ScoringPayloadReader.ReadInputs(protocol, bodies.Body(0, inputLength), inputs);
        }

        if (outputLength > 0)
        {
            ScoringPayloadReader.ReadOutputs(protocol, bodies.Body(1, outputLength), outputs);
        }

        // Keep the two tables row-aligned when one side could not be read.
        var rows = Math.Max(inputs.RowCount, outputs.RowCount);
        if (inputs.RowCount < rows)
        {
            inputs.EndRows(rows - inputs.RowCount);
        }

        if (outputs.RowCount < rows)
        {
            outputs.EndRows(rows - outputs.RowCount);
        }

        return true;
    }

    /// <summary>A loaded segment in a pooled buffer, returned to the pool when its last chunk is parsed.</summary>
    private sealed class SegmentBuffer(byte[] buffer, int length)
    {
        private int _references = 1;

        public byte[] Buffer { get; } = buffer;

        public int Length { get; } = length;

        public void AddRef() => Interlocked.Increment(ref _references);

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
            }
        }
    }

    /// <summary>A whole segment being parsed to be kept: each worker's tables for it, and how many entries each read.</summary>
    private sealed class SegmentWork(int workers)
    {
        public (FeatureTable Inputs, FeatureTable Outputs)?[] Tables { get; } = new (FeatureTable, FeatureTable)?[workers];

        public long[] Counts { get; } = new long[workers];
    }

    private readonly record struct Chunk(SegmentBuffer Segment, int Offset, int Length, SegmentWork? Work)
    {
        public ReadOnlySpan<byte> Span => Segment.Buffer.AsSpan(Offset, Length);
    }

    private static JsonTokenType Next(ref Utf8JsonReader json) =>
        json.Read() ? json.TokenType : throw new JsonException("A prediction log segment ends early.");

    /// <summary>One parser's pooled buffers for the unescaped request and response bodies.</summary>
    internal sealed class BodyBuffers
    {
        private readonly byte[][] _bodies = [ArrayPool<byte>.Shared.Rent(64 * 1024), ArrayPool<byte>.Shared.Rent(64 * 1024)];

        public ReadOnlyMemory<byte> Body(int which, int length) => _bodies[which].AsMemory(0, length);

        /// <summary>The current string token, unescaped, into body buffer <paramref name="which"/>; 0 for null.</summary>
        public int CopyBody(ref Utf8JsonReader json, int which)
        {
            if (json.TokenType != JsonTokenType.String)
            {
                return 0;
            }

            var needed = json.HasValueSequence ? (int)json.ValueSequence.Length : json.ValueSpan.Length;
            if (needed > _bodies[which].Length)
            {
                ArrayPool<byte>.Shared.Return(_bodies[which]);
                _bodies[which] = ArrayPool<byte>.Shared.Rent(needed);
            }

            return json.CopyString(_bodies[which]);
        }

        /// <summary>
        /// The inputs and outputs that follow the protocol (which ends at <paramref name="afterProtocol"/>) unescaped
        /// into the two buffers in one pass each; false when they are not in the form the log writes (the general reader
        /// then takes the entry).
        /// </summary>
        public bool TryCopyBodies(ReadOnlySpan<byte> entry, int afterProtocol, out int inputLength, out int outputLength)
        {
            outputLength = 0;
            var i = LogEntryText.SkipWhitespace(entry, afterProtocol);
            if (i >= entry.Length || entry[i] != (byte)',' || !LogEntryText.TryReadString(entry, i + 1, ref _bodies[0], out inputLength, out var end))
            {
                inputLength = 0;
                return false;
            }

            i = LogEntryText.SkipWhitespace(entry, end);
            return i < entry.Length && entry[i] == (byte)',' && LogEntryText.TryReadString(entry, i + 1, ref _bodies[1], out outputLength, out _);
        }

        public void Return()
        {
            ArrayPool<byte>.Shared.Return(_bodies[0]);
            ArrayPool<byte>.Shared.Return(_bodies[1]);
        }
    }
}
