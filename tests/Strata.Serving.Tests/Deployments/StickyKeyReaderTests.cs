using System.Text;
using Strata.Serving.Deployments;

namespace Strata.Serving.Tests.Deployments;

public sealed class StickyKeyReaderTests
{
    [Theory]
    [InlineData("""{"dataframe_split": {"columns": ["a", "user"], "data": [["x", "u-1"], ["y", "u-2"]]}}""", "application/json", "u-1")]
    [InlineData("""{"dataframe_records": [{"user": 42, "a": 1}]}""", "application/json", "42")]
    [InlineData("""{"instances": [{"user": "u-3"}]}""", "application/json", "u-3")]
    [InlineData("""{"inputs": {"user": ["u-4", "u-5"]}}""", "application/json", "u-4")]
    [InlineData("""{"inputs": [{"user": "u-6"}]}""", "application/json", "u-6")]
    [InlineData("""{"inputs": [{"name": "a", "datatype": "FP32", "shape": [1], "data": [1]}, {"name": "user", "datatype": "BYTES", "shape": [1], "data": ["u-7"]}]}""", "application/json", "u-7")]
    [InlineData("a,user\n1,u-8\n2,u-9\n", "text/csv", "u-8")]
    [InlineData("""{"dataframe_split": {"columns": ["a"], "data": [[1]]}}""", "application/json", null)]
    [InlineData("""not json""", "application/json", null)]
    public void The_first_rows_value_of_the_column_is_the_key(string body, string contentType, string? expected) =>
        Assert.Equal(expected, StickyKeyReader.FromColumn(Encoding.UTF8.GetBytes(body), contentType, "user"));
}
