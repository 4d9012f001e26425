using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Server.Wire;

namespace Strata.Server.Tests.Wire;

public sealed class WireValuesTests
{
    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement;

    [Theory]
    [InlineData("12", 12L)]
    [InlineData("\"12\"", 12L)]
    [InlineData("\"-3\"", -3L)]
    [InlineData("9007199254740993", 9007199254740993L)]
    [InlineData("\"9223372036854775807\"", long.MaxValue)]
    [InlineData("4.0", 4L)]
    public void Int64_accepts_numbers_and_decimal_strings(string json, long expected) =>
        Assert.Equal(expected, WireValues.Int64(Parse(json), "f"));

    [Theory]
    [InlineData("\"12a\"")]
    [InlineData("4.5")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("\"99999999999999999999\"")]
    public void Int64_rejects_the_rest_naming_the_field(string json)
    {
        var ex = Assert.Throws<MlflowException>(() => WireValues.Int64(Parse(json), "metrics[3].timestamp"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        Assert.Contains("'metrics[3].timestamp'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Doubles_accept_numbers_non_finite_strings_and_numeric_strings()
    {
        Assert.Equal(1.5, WireValues.Double(Parse("1.5"), "v"));
        Assert.Equal(1.5, WireValues.Double(Parse("\"1.5\""), "v"));
        Assert.True(double.IsNaN(WireValues.Double(Parse("\"NaN\""), "v")!.Value));
        Assert.Equal(double.PositiveInfinity, WireValues.Double(Parse("\"Infinity\""), "v"));
        Assert.Equal(double.NegativeInfinity, WireValues.Double(Parse("\"-Infinity\""), "v"));
        Assert.Throws<MlflowException>(() => WireValues.Double(Parse("true"), "v"));
        Assert.Throws<MlflowException>(() => WireValues.Double(Parse("\"abc\""), "v"));
        Assert.Null(WireValues.Double(Parse("null"), "v"));
    }

    [Fact]
    public void Booleans_are_case_insensitive_strings_or_json_booleans()
    {
        Assert.True(WireValues.ParseBoolean("True", "b"));
        Assert.False(WireValues.ParseBoolean("FALSE", "b"));
        Assert.True(WireValues.Boolean(Parse("true"), "b"));
        Assert.Throws<MlflowException>(() => WireValues.ParseBoolean("yes", "b"));
    }

    [Fact]
    public void Enums_by_name_or_number()
    {
        Assert.Equal(RunStatus.FINISHED, WireValues.Enum<RunStatus>(Parse("\"FINISHED\""), "s"));
        Assert.Equal(RunStatus.FINISHED, WireValues.Enum<RunStatus>(Parse("3"), "s"));
        Assert.Equal(RunStatus.FINISHED, WireValues.Enum<RunStatus>(Parse("\"3\""), "s"));
        Assert.Throws<MlflowException>(() => WireValues.Enum<RunStatus>(Parse("9"), "s"));
        Assert.Throws<MlflowException>(() => WireValues.Enum<RunStatus>(Parse("\"finished\""), "s"));
        Assert.Throws<MlflowException>(() => WireValues.Enum<RunStatus>(Parse("\"RUNNING,FINISHED\""), "s"));
    }

    [Fact]
    public void Ids_accept_strings_or_numbers()
    {
        Assert.Equal("7", WireValues.String(Parse("7"), "experiment_id"));
        Assert.Equal("7", WireValues.String(Parse("\"7\""), "experiment_id"));
        Assert.Throws<MlflowException>(() => WireValues.String(Parse("[1]"), "experiment_id"));
    }
}
