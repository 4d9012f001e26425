using Strata.Core.Artifacts;
using Strata.Core.Errors;

namespace Strata.Core.Tests.Artifacts;

public sealed class ArtifactUriTests
{
    [Theory]
    [InlineData("mlflow-artifacts:/0/abc/artifacts", "0/abc/artifacts")]
    [InlineData("mlflow-artifacts:/", "")]
    [InlineData("mlflow-artifacts:", "")]
    [InlineData("mlflow-artifacts:0/x", "0/x")]
    [InlineData("mlflow-artifacts:///0/x", "0/x")]
    [InlineData("mlflow-artifacts://host:5000/7/models/m-1/artifacts", "7/models/m-1/artifacts")]
    [InlineData("mlflow-artifacts://host:5000", "")]
    [InlineData("MLFLOW-ARTIFACTS:/a", "a")]
    [InlineData("http://host:5000/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts", "1/r/artifacts")]
    [InlineData("https://host/prefix/api/2.0/mlflow-artifacts/artifacts/1/r", "1/r")]
    [InlineData("https://host/api/2.0/mlflow-artifacts/artifacts", "")]
    [InlineData("mlflow-artifacts:/a%20b/c", "a b/c")]
    public void Proxy_uris_map_onto_relative_paths(string uri, string expected)
    {
        Assert.True(ArtifactUri.TryGetProxyPath(uri, out var path));
        Assert.Equal(expected, path);
        Assert.True(ArtifactUri.IsProxied(uri));
    }

    [Theory]
    [InlineData("s3://bucket/0/r/artifacts")]
    [InlineData("file:///tmp/mlruns/0")]
    [InlineData("/tmp/mlruns/0")]
    [InlineData("./mlruns")]
    [InlineData("http://host/some/other/path")]
    [InlineData("http://host/api/2.0/mlflow-artifacts/artifactsX/1")]
    [InlineData("gs://bucket/x")]
    public void Other_uris_are_not_proxied(string uri) => Assert.False(ArtifactUri.IsProxied(uri));

    [Theory]
    [InlineData("mlflow-artifacts:/../../etc")]
    [InlineData("mlflow-artifacts:/0/%2e%2e/%2e%2e/x")]
    [InlineData("http://h/api/2.0/mlflow-artifacts/artifacts/../x")]
    [InlineData("mlflow-artifacts:/a#frag")]
    public void Proxy_uris_with_unsafe_paths_are_rejected(string uri)
    {
        var e = Assert.Throws<MlflowException>(() => ArtifactUri.TryGetProxyPath(uri, out _));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
    }

    [Fact]
    public void Append_joins_with_one_slash()
    {
        Assert.Equal("mlflow-artifacts:/0/r/artifacts/model", ArtifactUri.Append("mlflow-artifacts:/0/r/artifacts", "model"));
        Assert.Equal("mlflow-artifacts:/0/r/artifacts/", ArtifactUri.Append("mlflow-artifacts:/0/r/artifacts/", ""));
        Assert.Equal("mlflow-artifacts:/0/r/artifacts/m", ArtifactUri.Append("mlflow-artifacts:/0/r/artifacts/", "m"));
    }
}
