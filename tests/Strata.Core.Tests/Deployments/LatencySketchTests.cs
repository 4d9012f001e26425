using Strata.Core.Deployments;

namespace Strata.Core.Tests.Deployments;

public sealed class LatencySketchTests
{
    [Fact]
    public void Quantiles_are_within_the_bucket_error_of_the_exact_values()
    {
        var random = new Random(3);
        var values = Enumerable.Range(0, 20_000).Select(_ => (long)Math.Exp(random.NextDouble() * 12)).ToArray();
        var sketch = new LatencySketch();
        foreach (var v in values)
        {
            sketch.Add(v);
        }

        Array.Sort(values);
        foreach (var q in new[] { 0.5, 0.95, 0.99 })
        {
            var exact = values[(int)Math.Ceiling(q * values.Length) - 1];
            var estimate = sketch.Quantile(q);
            Assert.InRange(estimate, exact * (1 - (1.0 / 16)), Math.Max(exact * (1 + (1.0 / 16)), exact + 1));
        }
    }

    [Fact]
    public void Small_values_are_exact_and_an_empty_sketch_answers_zero()
    {
        var sketch = new LatencySketch();
        Assert.Equal(0, sketch.Quantile(0.99));
        foreach (var v in new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })
        {
            sketch.Add(v);
        }

        Assert.Equal(5, sketch.Quantile(0.5));
        Assert.Equal(10, sketch.Quantile(0.99));
        Assert.Equal(1, sketch.Quantile(0));
    }

    [Fact]
    public void Merged_sketches_answer_as_one_sketch_of_all_values()
    {
        var random = new Random(5);
        var a = new LatencySketch();
        var b = new LatencySketch();
        var all = new LatencySketch();
        for (var i = 0; i < 5_000; i++)
        {
            var fast = random.Next(100, 2_000);
            var slow = random.Next(50_000, 90_000);
            a.Add(fast);
            b.Add(slow);
            all.Add(fast);
            all.Add(slow);
        }

        var merged = a.Copy();
        merged.Merge(b);
        Assert.Equal(10_000, merged.Count);
        foreach (var q in new[] { 0.25, 0.5, 0.75, 0.99 })
        {
            Assert.Equal(all.Quantile(q), merged.Quantile(q));
        }

        // Averaging the two halves' p99 would say ~45 ms; the merged sketch knows half the requests were slow.
        Assert.InRange(merged.Quantile(0.99), 85_000, 95_000);
    }

    [Fact]
    public void The_stored_form_round_trips_and_malformed_text_is_refused()
    {
        var sketch = new LatencySketch();
        sketch.Add(3);
        sketch.Add(1_000, 7);
        sketch.Add(long.MaxValue);
        var text = sketch.Serialize();
        var back = LatencySketch.Deserialize(text);
        Assert.Equal(sketch.Count, back.Count);
        Assert.Equal(text, back.Serialize());
        Assert.Equal(0, LatencySketch.Deserialize("").Count);
        Assert.Throws<FormatException>(() => LatencySketch.Deserialize("x:1"));
        Assert.Throws<FormatException>(() => LatencySketch.Deserialize($"{LatencySketch.BucketCount}:1"));
    }

    [Fact]
    public void Bucket_bounds_cover_every_value_once()
    {
        for (long v = 0; v < 100_000; v += 7)
        {
            var (low, width) = LatencySketch.BucketBounds(LatencySketch.IndexOf(v));
            Assert.InRange(v, low, low + width - 1);
        }
    }
}
