using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using Strata.Core.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Tracking;

/// <summary>
/// Writes a get-history body, <c>{"metrics":[...],"next_page_token":"..."}</c>, straight into a <see cref="PipeWriter"/>:
/// the bytes <see cref="TrackingJson.WriteMetrics"/> and <see cref="TrackingJson.WriteNextPageToken"/> produce through a
/// <see cref="Utf8JsonWriter"/> with <see cref="WireResults.WriterOptions"/>, without its per-call bookkeeping. A point is a
/// handful of fixed fragments and three numbers, and at 100,000 points a read the writer's per-property work was most of
/// the server's time. Strings are escaped by the same encoder (<see cref="JsonEncodedText"/>), numbers formatted as
/// <see cref="Utf8JsonWriter"/> formats them (invariant shortest round-trip), non-finite values as MLflow's strings.
/// </summary>
internal sealed class MetricHistoryJsonWriter
{
    // A point's fixed parts: the numbers are at most 24 bytes (double) and 20 (long), the quoted non-finite strings 11.
    private const int NumbersMaxBytes = 24 + 20 + 20;
    private const int MinChunkBytes = 4096;

    private static ReadOnlySpan<byte> MetricsStart => "{\"metrics\":["u8;
    private static ReadOnlySpan<byte> ValueName => ",\"value\":"u8;
    private static ReadOnlySpan<byte> TimestampName => ",\"timestamp\":"u8;
    private static ReadOnlySpan<byte> StepName => ",\"step\":"u8;
    private static ReadOnlySpan<byte> ModelIdName => ",\"model_id\":\""u8;
    private static ReadOnlySpan<byte> DatasetNameName => ",\"dataset_name\":\""u8;
    private static ReadOnlySpan<byte> DatasetDigestName => ",\"dataset_digest\":\""u8;

    private readonly PipeWriter _pipe;
    private readonly byte[] _pointStart;
    private readonly int _fixedBytes;
    private Memory<byte> _chunk;
    private int _used;
    private long _unflushed;

    /// <param name="key">The metric key every point repeats.</param>
    public MetricHistoryJsonWriter(PipeWriter pipe, string key)
    {
        _pipe = pipe;
        var encodedKey = JsonEncodedText.Encode(key, WireResults.WriterOptions.Encoder).EncodedUtf8Bytes;
        _pointStart = [.. "{\"key\":\""u8, .. encodedKey, (byte)'"'];
        _fixedBytes = 1 + _pointStart.Length + ValueName.Length + TimestampName.Length + StepName.Length + NumbersMaxBytes + 1;
    }

    /// <summary>Points written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Bytes written into the pipe (advanced or not) since the last <see cref="MarkFlushed"/>.</summary>
    public long Unflushed => _unflushed + _used;

    public void WritePoint(in MetricHistoryPoint point)
    {
        JsonEncodedText modelId = default, datasetName = default, datasetDigest = default;
        var extras = 0;
        if (point.ModelId is not null || point.DatasetName is not null || point.DatasetDigest is not null)
        {
            extras = Extra(point.ModelId, ModelIdName, ref modelId) + Extra(point.DatasetName, DatasetNameName, ref datasetName)
                     + Extra(point.DatasetDigest, DatasetDigestName, ref datasetDigest);
        }

        var span = Reserve(_fixedBytes + MetricsStart.Length + extras);
        var n = 0;
        if (Count == 0)
        {
            MetricsStart.CopyTo(span);
            n = MetricsStart.Length;
        }
        else
        {
            span[n++] = (byte)',';
        }

        _pointStart.CopyTo(span[n..]);
        n += _pointStart.Length;
        ValueName.CopyTo(span[n..]);
        n += ValueName.Length;
        n += WriteDouble(point.Value, span[n..]);
        TimestampName.CopyTo(span[n..]);
        n += TimestampName.Length;
        n += WriteInt64(point.Timestamp, span[n..]);
        StepName.CopyTo(span[n..]);
        n += StepName.Length;
        n += WriteInt64(point.Step, span[n..]);
        if (extras > 0)
        {
            n += WriteExtra(point.ModelId is null ? null : modelId, ModelIdName, span[n..]);
            n += WriteExtra(point.DatasetName is null ? null : datasetName, DatasetNameName, span[n..]);
            n += WriteExtra(point.DatasetDigest is null ? null : datasetDigest, DatasetDigestName, span[n..]);
        }

        span[n++] = (byte)'}';
        _used += n;
        Count++;
    }

    /// <summary>Closes the array (when a point was written) and the object, with the token when there is one.</summary>
    public void WriteEnd(string? nextPageToken)
    {
        var token = string.IsNullOrEmpty(nextPageToken) ? default : JsonEncodedText.Encode(nextPageToken, WireResults.WriterOptions.Encoder);
        var tokenBytes = token.EncodedUtf8Bytes;
        var span = Reserve(32 + tokenBytes.Length);
        var n = 0;
        if (Count == 0)
        {
            span[n++] = (byte)'{';
        }
        else
        {
            span[n++] = (byte)']';
        }

        if (!tokenBytes.IsEmpty)
        {
            var name = Count == 0 ? "\"next_page_token\":\""u8 : ",\"next_page_token\":\""u8;
            name.CopyTo(span[n..]);
            n += name.Length;
            tokenBytes.CopyTo(span[n..]);
            n += tokenBytes.Length;
            span[n++] = (byte)'"';
        }

        span[n++] = (byte)'}';
        _used += n;
        Commit();
    }

    /// <summary>Hands what is written to the pipe (the caller then flushes it).</summary>
    public void Commit()
    {
        if (_used > 0)
        {
            _pipe.Advance(_used);
            _unflushed += _used;
            _used = 0;
        }

        _chunk = default;
    }

    public void MarkFlushed() => _unflushed = 0;

    private Span<byte> Reserve(int bytes)
    {
        if (_chunk.Length - _used < bytes)
        {
            Commit();
            _chunk = _pipe.GetMemory(Math.Max(bytes, MinChunkBytes));
        }

        return _chunk.Span[_used..];
    }

    /// <summary>Encodes an optional string member; its bytes with name and quotes, 0 when absent.</summary>
    private static int Extra(string? value, ReadOnlySpan<byte> name, ref JsonEncodedText encoded)
    {
        if (value is null)
        {
            return 0;
        }

        encoded = JsonEncodedText.Encode(value, WireResults.WriterOptions.Encoder);
        return name.Length + encoded.EncodedUtf8Bytes.Length + 1;
    }

    private static int WriteExtra(JsonEncodedText? value, ReadOnlySpan<byte> name, Span<byte> into)
    {
        if (value is not { } text)
        {
            return 0;
        }

        name.CopyTo(into);
        var n = name.Length;
        text.EncodedUtf8Bytes.CopyTo(into[n..]);
        n += text.EncodedUtf8Bytes.Length;
        into[n++] = (byte)'"';
        return n;
    }

    private static int WriteDouble(double value, Span<byte> into)
    {
        if (double.IsFinite(value))
        {
            // What Utf8JsonWriter.WriteNumber(double) writes: the shortest round-trip form, invariant culture.
            return value.TryFormat(into, out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException("A double did not fit its reserved bytes.");
        }

        var text = double.IsNaN(value) ? "\"NaN\""u8 : value > 0 ? "\"Infinity\""u8 : "\"-Infinity\""u8;
        text.CopyTo(into);
        return text.Length;
    }

    private static int WriteInt64(long value, Span<byte> into) =>
        value.TryFormat(into, out var written, default, CultureInfo.InvariantCulture) ? written : throw new InvalidOperationException("A long did not fit its reserved bytes.");
}
