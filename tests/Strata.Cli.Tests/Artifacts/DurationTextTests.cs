using Strata.Cli.Commands;

namespace Strata.Tests.Artifacts;

public sealed class DurationTextTests
{
    [Theory]
    [InlineData("30d", 30 * 24 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("1d2h3m4s", 93784)]
    [InlineData("45s", 45)]
    [InlineData("0s", 0)]
    [InlineData(" 2h ", 7200)]
    public void Parses_mlflow_style_ages(string text, long seconds)
    {
        Assert.True(DurationText.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("30")]
    [InlineData("1m1h")]
    [InlineData("-1d")]
    [InlineData("1.5h")]
    [InlineData("1w")]
    [InlineData("d")]
    public void Rejects_other_forms(string text) => Assert.False(DurationText.TryParse(text, out _));
}
