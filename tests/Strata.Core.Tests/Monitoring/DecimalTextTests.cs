using System.Globalization;
using System.Text;
using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

public sealed class DecimalTextTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("1")]
    [InlineData("0.1")]
    [InlineData("-12.3456")]
    [InlineData("123456789012345")]
    [InlineData("0.000000000000000000001")]
    [InlineData("00012.5")]
    [InlineData("900719925474.993")]
    public void Short_decimals_parse_to_the_same_double_as_the_general_parser(string text)
    {
        Assert.True(DecimalText.TryParse(Encoding.ASCII.GetBytes(text), out var value));
        var expected = double.Parse(text, CultureInfo.InvariantCulture);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(value));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1e5")]
    [InlineData("1.5E-3")]
    [InlineData("1234567890123456")] // 16 digits: not exact in every case, left to the general parser
    [InlineData("0.12345678901234567")]
    [InlineData("1.2.3")]
    [InlineData("0.00000000000000000000001")] // 23 digits after the point
    public void Anything_else_is_left_to_the_general_parser(string text) =>
        Assert.False(DecimalText.TryParse(Encoding.ASCII.GetBytes(text), out _));

    [Fact]
    public void Random_values_in_every_short_format_round_trip_exactly()
    {
        var random = new Random(7);
        var fast = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var v = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 12));
            var text = v.ToString("F" + random.Next(0, 9).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            var parsed = DecimalText.TryParse(Encoding.ASCII.GetBytes(text), out var value);
            if (parsed)
            {
                fast++;
                Assert.True(
                    BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)) == BitConverter.DoubleToInt64Bits(value),
                    $"{text}: {value:R}");
            }
        }

        Assert.True(fast > 100_000, $"only {fast} took the short path");
    }
}
