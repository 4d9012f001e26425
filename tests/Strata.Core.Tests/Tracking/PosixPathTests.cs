using Strata.Core.Tracking;

namespace Strata.Core.Tests.Tracking;

public sealed class PosixPathTests
{
    // Expected values are what Python's posixpath.normpath returns.
    [Theory]
    [InlineData("", ".")]
    [InlineData(".", ".")]
    [InlineData("a//b", "a/b")]
    [InlineData("a/./b/", "a/b")]
    [InlineData("/a", "/a")]
    [InlineData("//a", "//a")]
    [InlineData("///a", "/a")]
    [InlineData("a/../..", "..")]
    [InlineData("/../a", "/a")]
    [InlineData("../../a", "../../a")]
    [InlineData("a/b/../c", "a/c")]
    public void Matches_python_normpath(string input, string expected) => Assert.Equal(expected, PosixPath.Normalize(input));
}
