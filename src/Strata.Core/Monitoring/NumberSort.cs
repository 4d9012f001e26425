using System.Buffers;

namespace Strata.Core.Monitoring;

/// <summary>
/// Sorts doubles ascending with a least-significant-digit radix sort on their bit patterns (11 bits a pass, passes
/// whose digit every value shares skipped): linear in the count, several times faster than a comparison sort on the
/// million-value columns drift compares. Short spans use <see cref="MemoryExtensions.Sort{T}(Span{T})"/>. NaN is never
/// stored in a column; −0 sorts just before +0.
/// </summary>
public static class NumberSort
{
    private const int Bits = 11;
    private const int Buckets = 1 << Bits;
    private const int Passes = (64 + Bits - 1) / Bits;
    private const ulong Mask = Buckets - 1;
    private const ulong SignBit = 1UL << 63;

    /// <summary>Below this many values a comparison sort is as fast and needs no scratch memory.</summary>
    public const int RadixThreshold = 4096;

    public static void Sort(Span<double> values)
    {
        var n = values.Length;
        if (n < RadixThreshold)
        {
            values.Sort();
            return;
        }

        var keys = ArrayPool<ulong>.Shared.Rent(n);
        var scratch = ArrayPool<ulong>.Shared.Rent(n);
        var counts = ArrayPool<int>.Shared.Rent(Passes * Buckets);
        try
        {
            var histogram = counts.AsSpan(0, Passes * Buckets);
            histogram.Clear();
            for (var i = 0; i < n; i++)
            {
                // Positive numbers get the sign bit set, negative ones all bits flipped: unsigned order is then numeric order.
                var bits = BitConverter.DoubleToUInt64Bits(values[i]);
                var key = (bits & SignBit) != 0 ? ~bits : bits | SignBit;
                keys[i] = key;
                for (var p = 0; p < Passes; p++)
                {
                    histogram[(p * Buckets) + (int)((key >> (p * Bits)) & Mask)]++;
                }
            }

            var source = keys;
            var target = scratch;
            for (var p = 0; p < Passes; p++)
            {
                var digits = histogram.Slice(p * Buckets, Buckets);
                var shift = p * Bits;
                if (digits[(int)((source[0] >> shift) & Mask)] == n)
                {
                    continue; // every value has the same digit here: the pass would not move anything
                }

                var offset = 0;
                for (var d = 0; d < Buckets; d++)
                {
                    var c = digits[d];
                    digits[d] = offset;
                    offset += c;
                }

                for (var i = 0; i < n; i++)
                {
                    var key = source[i];
                    target[digits[(int)((key >> shift) & Mask)]++] = key;
                }

                (source, target) = (target, source);
            }

            for (var i = 0; i < n; i++)
            {
                var key = source[i];
                values[i] = BitConverter.UInt64BitsToDouble((key & SignBit) != 0 ? key & ~SignBit : ~key);
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(keys);
            ArrayPool<ulong>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(counts);
        }
    }
}
