using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Core.Tests.Artifacts;

public sealed class ArtifactPathTests
{
    [Theory]
    [InlineData("0/abc/artifacts/model/MLmodel", "0/abc/artifacts/model/MLmodel")]
    [InlineData("a/..b/c", "a/..b/c")]
    [InlineData("a/b..", "a/b..")]
    [InlineData("...", "...")]
    [InlineData("a//b/", "a/b")]
    [InlineData("./a/./b", "a/b")]
    [InlineData("dir with space/ü.txt", "dir with space/ü.txt")]
    [InlineData("100%.txt", "100%.txt")]
    [InlineData("a%20b", "a%20b")]
    [InlineData("time 12:00.log", "time 12:00.log")]
    [InlineData("", "")]
    [InlineData(null, "")]
    [InlineData(".", "")]
    public void Safe_paths_are_accepted_and_normalized(string? input, string expected) =>
        Assert.Equal(expected, ArtifactPath.Validate(input));

    [Theory]
    [InlineData("..")]
    [InlineData("../etc/passwd")]
    [InlineData("a/../../x")]
    [InlineData("a/..")]
    [InlineData("%2e%2e/x")]
    [InlineData("%2E%2E%2Fx")]
    [InlineData("%252e%252e%252fx")]
    [InlineData("%25252e%25252e/x")]
    [InlineData("a/%2e%2e")]
    [InlineData("..%2fx")]
    [InlineData("/etc/passwd")]
    [InlineData("//server/share")]
    [InlineData("%2fetc/passwd")]
    [InlineData("C:/x")]
    [InlineData("c:x")]
    [InlineData("C:\\x")]
    [InlineData("\\\\server\\share")]
    [InlineData("a\\b")]
    [InlineData("a%5cb")]
    [InlineData("..\\x")]
    [InlineData("a#b")]
    [InlineData("a%23b")]
    [InlineData("a\0b")]
    [InlineData("a%00b")]
    [InlineData("a\nb")]
    [InlineData("a%0ab")]
    [InlineData("a\u007fb")]
    [InlineData("file:///etc/passwd")]
    [InlineData("FILE:x")]
    [InlineData("file%3a///etc/passwd")]
    public void Unsafe_paths_are_rejected_with_invalid_path(string input)
    {
        var e = Assert.Throws<MlflowException>(() => ArtifactPath.Validate(input));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Equal("Invalid path", e.Message);
        Assert.False(ArtifactPath.IsValid(input));
    }

    [Fact]
    public void Encoding_nested_more_than_ten_times_is_rejected()
    {
        var value = "x";
        for (var i = 0; i < 11; i++)
        {
            value = Uri.EscapeDataString(value + "%");
        }

        Assert.Throws<MlflowException>(() => ArtifactPath.Validate(value));
    }

    [Fact]
    public void Join_validates_the_result()
    {
        Assert.Equal("0/r/artifacts/model", ArtifactPath.Join("0/r/artifacts", "model"));
        Assert.Equal("a", ArtifactPath.Join("", "a"));
        Assert.Equal("a", ArtifactPath.Join("a", ""));
        Assert.Throws<MlflowException>(() => ArtifactPath.Join("0/r", "../../x"));
    }

    [Fact]
    public void Base_name_and_parent()
    {
        Assert.Equal("c", ArtifactPath.BaseName("a/b/c"));
        Assert.Equal("a/b", ArtifactPath.Parent("a/b/c"));
        Assert.Equal("", ArtifactPath.Parent("a"));
        Assert.Equal("a", ArtifactPath.BaseName("a"));
    }

    [Fact]
    public void Names_longer_than_file_systems_and_s3_take_are_invalid()
    {
        Assert.Equal(new string('a', 255), ArtifactPath.Validate(new string('a', 255)));
        Assert.Throws<MlflowException>(() => ArtifactPath.Validate(new string('a', 256)));
        Assert.Throws<MlflowException>(() => ArtifactPath.Validate("dir/" + new string('é', 128)));
        Assert.Throws<MlflowException>(() => ArtifactPath.Validate(string.Join('/', Enumerable.Repeat(new string('a', 200), 6))));
    }
}
