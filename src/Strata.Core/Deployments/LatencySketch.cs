using System.Globalization;
using System.Text;

namespace Strata.Core.Deployments;

/// <summary>
/// A mergeable latency distribution: a fixed-bucket log-linear histogram over microseconds (HdrHistogram's layout with
/// 16 linear sub-buckets per power of two). Buckets are the same in every process, so replicas' sketches merge by
/// adding counts and quantiles of the merge are as accurate as of one sketch: a quantile is the midpoint of its
/// bucket, within 1/32 (3.1 %) of the true value. Not thread-safe: one owner adds, others merge copies.
/// </summary>
public sealed class LatencySketch
{
    private const int SubBucketBits = 4;
    private const int SubBuckets = 1 << SubBucketBits;

    /// <summary>Buckets up to 2^47 µs (four years): every <see cref="long"/> latency anyone will see.</summary>
    public const int BucketCount = (47 - SubBucketBits + 2) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    public void Add(long microseconds, long count = 1)
    {
        _counts[IndexOf(microseconds)] += count;
        Count += count;
    }

    public void Merge(LatencySketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1) in microseconds; 0 when empty.</summary>
    public double Quantile(double q)
    {
        if (Count == 0)
        {
            return 0;
        }

        // The nearest-rank definition: the smallest value with at least q of the observations at or below it.
        var rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                var (low, width) = BucketBounds(i);
                return width == 1 ? low : low + (width / 2.0);
            }
        }

        return BucketBounds(BucketCount - 1).Low;
    }

    public static int IndexOf(long microseconds)
    {
        if (microseconds < SubBuckets)
        {
            return (int)Math.Max(0, microseconds);
        }

        var exponent = 63 - (int)long.LeadingZeroCount(microseconds);
        var sub = (int)(microseconds >> (exponent - SubBucketBits)) & (SubBuckets - 1);
        var index = ((exponent - SubBucketBits + 1) * SubBuckets) + sub;
        return Math.Min(index, BucketCount - 1);
    }

    /// <summary>The lowest value of bucket <paramref name="index"/> and how many integer values it spans.</summary>
    public static (long Low, long Width) BucketBounds(int index)
    {
        if (index < SubBuckets)
        {
            return (index, 1);
        }

        var exponent = (index / SubBuckets) + SubBucketBits - 1;
        var sub = index % SubBuckets;
        var width = 1L << (exponent - SubBucketBits);
        return ((1L << exponent) + (sub * width), width);
    }

    /// <summary>The non-empty buckets as <c>index:count</c> pairs separated by commas (the stored form).</summary>
    public string Serialize()
    {
        var text = new StringBuilder();
        for (var i = 0; i < BucketCount; i++)
        {
            if (_counts[i] == 0)
            {
                continue;
            }

            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(i.ToString(CultureInfo.InvariantCulture)).Append(':').Append(_counts[i].ToString(CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    public static LatencySketch Deserialize(string? text)
    {
        var sketch = new LatencySketch();
        if (string.IsNullOrEmpty(text))
        {
            return sketch;
        }

        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0
                || !int.TryParse(pair.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || !long.TryParse(pair.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                || index >= BucketCount)
            {
                throw new FormatException($"Not a latency sketch bucket: '{pair}'.");
            }

            sketch._counts[index] += count;
            sketch.Count += count;
        }

        return sketch;
    }

    public LatencySketch Copy()
    {
        var copy = new LatencySketch();
        copy.Merge(this);
        return copy;
    }
}
