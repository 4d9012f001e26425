using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Strata.Storage.Serving;

/// <summary>
/// The prediction log's unit of storage: the entries that one writer batch logged for one model version, stored as a
/// JSON array of positional entries,
/// <c>[request_id, timestamp_ms, latency_us, status_code, protocol, inputs, outputs, error_message]</c>, in the order
/// they were logged. JSON keeps the log readable from SQL (<c>json_each</c> in SQLite, <c>json_array_elements</c> in
/// PostgreSQL). An entry's id is its segment's id shifted left 16 bits plus its index, so ids grow with segments.
/// </summary>
public static class PredictionLogSegment
{
    /// <summary>The <c>format</c> column of segments written this way.</summary>
    public const int Format = 1;

    /// <summary>Most entries in one segment (well under the 16 bits an entry index has in an id).</summary>
    public const int MaxEntries = 4096;

    private const int IndexBits = 16;

    // Only what JSON requires is escaped ('"', '\' and control characters): bodies are stored compactly, non-ASCII
    // text as UTF-8.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static long EntryId(long segmentId, int index) => (segmentId << IndexBits) | (uint)index;

    /// <summary>Appends one segment of <paramref name="count"/> entries of <paramref name="records"/>, from <paramref name="start"/>, as UTF-8 JSON.</summary>
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<PredictionLogRecord> records, int start, int count)
    {
        using var json = new Utf8JsonWriter(output, WriterOptions);
        json.WriteStartArray();
        for (var i = start; i < start + count; i++)
        {
            var r = records[i];
            json.WriteStartArray();
            WriteText(json, r.RequestId);
            json.WriteNumberValue(r.TimestampMs);
            json.WriteNumberValue(r.LatencyMicroseconds);
            json.WriteNumberValue(r.StatusCode);
            WriteText(json, r.Protocol);
            WriteText(json, r.Inputs);
            WriteText(json, r.Outputs);
            WriteText(json, r.ErrorMessage);
            json.WriteEndArray();
        }

        json.WriteEndArray();
    }

    /// <summary>The entries of one stored segment, in logged order, with their ids.</summary>
    public static List<PredictionLogRecord> Read(long segmentId, string modelName, string modelVersion, ReadOnlySpan<byte> utf8Json)
    {
        var entries = new List<PredictionLogRecord>();
        var json = new Utf8JsonReader(utf8Json);
        Expect(ref json, JsonTokenType.StartArray);
        while (Next(ref json) != JsonTokenType.EndArray)
        {
            if (json.TokenType != JsonTokenType.StartArray)
            {
                throw Corrupt(segmentId);
            }

            var requestId = ReadText(ref json) ?? throw Corrupt(segmentId);
            var timestamp = ReadLong(ref json);
            var latency = ReadLong(ref json);
            var status = (int)ReadLong(ref json);
            var protocol = ReadText(ref json) ?? throw Corrupt(segmentId);
            var inputs = ReadText(ref json);
            var outputs = ReadText(ref json);
            var error = ReadText(ref json);
            Expect(ref json, JsonTokenType.EndArray);
            entries.Add(new PredictionLogRecord(requestId, modelName, modelVersion, timestamp, latency, status, protocol, inputs, outputs, error)
            {
                LogId = EntryId(segmentId, entries.Count),
            });
        }

        return entries;
    }

    /// <summary>
    /// Writes a string value. A lone surrogate (from an exception message, say) cannot be encoded as UTF-8; it becomes
    /// U+FFFD rather than failing the batch it is in. The check is one vectorised scan, and the rare string with any
    /// surrogate at all is re-encoded with the replacement fallback.
    /// </summary>
    private static void WriteText(Utf8JsonWriter json, string? value)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else if (value.AsSpan().ContainsAnyInRange('\ud800', '\udfff'))
        {
            json.WriteStringValue(Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(value)));
        }
        else
        {
            json.WriteStringValue(value);
        }
    }

    private static JsonTokenType Next(ref Utf8JsonReader json) =>
        json.Read() ? json.TokenType : throw new JsonException("The prediction log segment ends early.");

    private static void Expect(ref Utf8JsonReader json, JsonTokenType type)
    {
        if (Next(ref json) != type)
        {
            throw new JsonException($"Expected {type} in a prediction log segment, found {json.TokenType}.");
        }
    }

    private static string? ReadText(ref Utf8JsonReader json) => Next(ref json) switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => json.GetString(),
        var other => throw new JsonException($"Expected a string in a prediction log entry, found {other}."),
    };

    private static long ReadLong(ref Utf8JsonReader json) =>
        Next(ref json) == JsonTokenType.Number ? json.GetInt64() : throw new JsonException($"Expected a number in a prediction log entry, found {json.TokenType}.");

    private static JsonException Corrupt(long segmentId) => new($"Prediction log segment {segmentId} is not in format {Format}.");
}
