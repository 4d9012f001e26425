using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

public sealed class NumberSortTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(NumberSort.RadixThreshold)]
    [InlineData(100_000)]
    public void Sorts_like_a_comparison_sort(int count)
    {
        var random = new Random(count);
        var specials = new[] { 0.0, -0.0, 1e-310, -1e-310, double.MaxValue, double.MinValue, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon };
        var values = Enumerable.Range(0, count).Select(i => (i % 7) switch
        {
            0 => specials[i % specials.Length],
            1 => Math.Round(random.NextDouble() * 10), // many ties
            2 => -random.NextDouble() * 1e12,
            _ => (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20)),
        }).ToArray();
        var expected = values.ToArray();
        Array.Sort(expected);

        NumberSort.Sort(values);

        // −0 and +0 compare equal; everything else must be in the same place.
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(expected[i] == values[i], $"at {i}: {expected[i]} vs {values[i]}");
        }
    }

    [Fact]
    public void Values_that_share_their_high_digits_skip_passes_and_still_sort()
    {
        var values = Enumerable.Range(0, 50_000).Select(i => 1.0 + ((i * 7919 % 50_000) * 1e-9)).ToArray();
        NumberSort.Sort(values);
        Assert.True(values.AsSpan().SequenceEqual(values.Order().ToArray()));
    }
}
