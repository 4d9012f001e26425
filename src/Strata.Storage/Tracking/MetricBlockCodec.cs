using System.Buffers.Binary;
using System.Text;

namespace Strata.Storage.Tracking;

/// <summary>The optional 3.x fields of a metric point; shared by reference between the points of a block that carry the same ones.</summary>
internal sealed record MetricPointExtras(string? ModelId, string? DatasetName, string? DatasetDigest);

/// <summary>One stored metric point as a block holds it: the value's bits exactly as logged (NaN, ±Infinity, -0.0 included).</summary>
internal readonly record struct BlockPoint(long Timestamp, long Step, double Value, MetricPointExtras? Extras)
{
    /// <summary>The value as history orders and compares it: NaN sorts as 0 and after a real 0 (is_nan = 1).</summary>
    public double SortValue => double.IsNaN(Value) ? 0d : Value;

    public int NanFlag => double.IsNaN(Value) ? 1 : 0;
}

/// <summary>
/// The payload of a <c>metric_blocks</c> row: the points of one (run, key) in the order they were logged.
/// Format 1:
/// <code>
/// byte    format (1)
/// varint  point count
/// varint  E = number of distinct extras tuples (model id, dataset name, dataset digest) that are not all null
/// E x     byte presence mask (1 model, 2 name, 4 digest), then each present string as varint length + UTF-8
/// per point: zigzag varint (step - previous step), zigzag varint (timestamp - previous timestamp),
///            8 bytes little-endian IEEE 754 bits of the value, and, only when E &gt; 0, varint extras index (0 = none)
/// </code>
/// Steps and timestamps of a metric mostly grow by small amounts, so their deltas take a byte or two; values are
/// kept as raw bits because they must come back bit for bit (NaN and ±Infinity included) and rarely compress.
/// A typical point costs 10-12 bytes. Points stay in logging order (not sorted): a read sorts, and for exact
/// duplicates the first one logged is the one kept, as with the old per-row table's ON CONFLICT DO NOTHING.
/// </summary>
internal static class MetricBlockCodec
{
    public const byte Format = 1;

    public static byte[] Encode(IReadOnlyList<BlockPoint> points)
    {
        var extras = new Dictionary<MetricPointExtras, int>();
        foreach (var p in points)
        {
            if (p.Extras is { } e && !extras.ContainsKey(e))
            {
                extras[e] = extras.Count + 1;
            }
        }

        var buffer = new ByteWriter(16 + (points.Count * (extras.Count > 0 ? 13 : 12)));
        buffer.Byte(Format);
        buffer.VarUInt((ulong)points.Count);
        buffer.VarUInt((ulong)extras.Count);
        foreach (var e in extras.Keys)
        {
            buffer.Byte((byte)((e.ModelId is null ? 0 : 1) | (e.DatasetName is null ? 0 : 2) | (e.DatasetDigest is null ? 0 : 4)));
            buffer.String(e.ModelId);
            buffer.String(e.DatasetName);
            buffer.String(e.DatasetDigest);
        }

        long step = 0, timestamp = 0;
        foreach (var p in points)
        {
            buffer.VarInt(p.Step - step);
            buffer.VarInt(p.Timestamp - timestamp);
            buffer.Double(p.Value);
            if (extras.Count > 0)
            {
                buffer.VarUInt(p.Extras is { } e ? (ulong)extras[e] : 0);
            }

            step = p.Step;
            timestamp = p.Timestamp;
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// Appends the block's points, in logging order, to <paramref name="into"/>: the first <paramref name="maxPoints"/>
    /// of them (a reader that took the block's header earlier stops where the header's count did, so points appended
    /// since then, which the header's ranges do not cover, stay out of its read).
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> payload, List<BlockPoint> into, int maxPoints = int.MaxValue)
    {
        var r = new ByteReader(payload);
        var format = r.Byte();
        if (format != Format)
        {
            throw new InvalidDataException($"Metric block format {format} is not one this build reads (it reads {Format}).");
        }

        var count = checked((int)r.VarUInt());
        var extrasCount = checked((int)r.VarUInt());
        var extras = new MetricPointExtras?[extrasCount + 1];
        for (var i = 1; i <= extrasCount; i++)
        {
            var mask = r.Byte();
            extras[i] = new MetricPointExtras(
                (mask & 1) != 0 ? r.String() : null,
                (mask & 2) != 0 ? r.String() : null,
                (mask & 4) != 0 ? r.String() : null);
        }

        count = Math.Min(count, maxPoints);
        into.EnsureCapacity(into.Count + count);
        long step = 0, timestamp = 0;
        for (var i = 0; i < count; i++)
        {
            step += r.VarInt();
            timestamp += r.VarInt();
            var value = r.Double();
            var extra = extrasCount > 0 ? extras[checked((int)r.VarUInt())] : null;
            into.Add(new BlockPoint(timestamp, step, value, extra));
        }
    }

    private struct ByteWriter(int capacity)
    {
        private byte[] _bytes = new byte[Math.Max(16, capacity)];
        private int _length;

        public void Byte(byte b)
        {
            Ensure(1);
            _bytes[_length++] = b;
        }

        public void VarUInt(ulong v)
        {
            Ensure(10);
            while (v >= 0x80)
            {
                _bytes[_length++] = (byte)(v | 0x80);
                v >>= 7;
            }

            _bytes[_length++] = (byte)v;
        }

        public void VarInt(long v) => VarUInt((ulong)((v << 1) ^ (v >> 63)));

        public void Double(double v)
        {
            Ensure(8);
            BinaryPrimitives.WriteInt64LittleEndian(_bytes.AsSpan(_length), BitConverter.DoubleToInt64Bits(v));
            _length += 8;
        }

        public void String(string? s)
        {
            if (s is null)
            {
                return;
            }

            var n = Encoding.UTF8.GetByteCount(s);
            VarUInt((ulong)n);
            Ensure(n);
            _length += Encoding.UTF8.GetBytes(s, _bytes.AsSpan(_length));
        }

        public readonly byte[] ToArray() => _bytes.AsSpan(0, _length).ToArray();

        private void Ensure(int more)
        {
            if (_length + more > _bytes.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
            }
        }
    }

    private ref struct ByteReader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public byte Byte() => _position < _bytes.Length ? _bytes[_position++] : throw Truncated();

        public ulong VarUInt()
        {
            ulong v = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = Byte();
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return v;
                }
            }

            throw new InvalidDataException("Metric block holds a malformed varint.");
        }

        public long VarInt()
        {
            var v = VarUInt();
            return (long)(v >> 1) ^ -(long)(v & 1);
        }

        public double Double()
        {
            if (_position + 8 > _bytes.Length)
            {
                throw Truncated();
            }

            var bits = BinaryPrimitives.ReadInt64LittleEndian(_bytes[_position..]);
            _position += 8;
            return BitConverter.Int64BitsToDouble(bits);
        }

        public string String()
        {
            var n = checked((int)VarUInt());
            if (_position + n > _bytes.Length)
            {
                throw Truncated();
            }

            var s = Encoding.UTF8.GetString(_bytes.Slice(_position, n));
            _position += n;
            return s;
        }

        private static InvalidDataException Truncated() => new("Metric block payload is truncated.");
    }
}
