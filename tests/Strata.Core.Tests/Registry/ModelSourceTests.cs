using Strata.Core.Errors;
using Strata.Core.Registry;

namespace Strata.Core.Tests.Registry;

public sealed class ModelSourceTests
{
    [Theory]
    [InlineData("s3://bucket/path/model")]
    [InlineData("s3://bucket")]
    [InlineData("mlflow-artifacts:/0/abc/artifacts/model")]
    [InlineData("https://host/api/2.0/mlflow-artifacts/artifacts/0/x/model")]
    [InlineData("models:/m-0123456789abcdef0123456789abcdef")]
    [InlineData("gs://b/a/b/")]
    public void Clean_non_local_sources_pass(string source) => ModelSource.ValidateNonLocal(source);

    [Theory]
    [InlineData("s3://bucket/a/../b")]
    [InlineData("s3://bucket/a/%2E%2E/b")]
    [InlineData("s3://bucket/a/%252E%252E/b")]
    [InlineData("s3://bucket/a/./b")]
    [InlineData("s3://bucket/a%00b")]
    [InlineData("https://host/x/..")]
    [InlineData("mlflow-artifacts:/0/x/%2e%2e/%2e%2e/etc")]
    public void Traversal_and_unnormalised_sources_are_400(string source)
    {
        var ex = Assert.Throws<MlflowException>(() => ModelSource.ValidateNonLocal(source));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
    }

    [Theory]
    [InlineData("/tmp/model", true)]
    [InlineData("relative/model", true)]
    [InlineData("file:///tmp/model", true)]
    [InlineData("file://localhost/tmp/model", true)]
    [InlineData("file://otherhost/tmp/model", false)]
    [InlineData("s3://b/k", false)]
    [InlineData("C:/models/x", true)]
    public void Local_detection(string source, bool local) => Assert.Equal(local, ModelSource.IsLocal(source));

    [Theory]
    [InlineData("/data/0/run/artifacts/model", "/data/0/run/artifacts", true)]
    [InlineData("file:///data/0/run/artifacts/model", "/data/0/run/artifacts", true)]
    [InlineData("/data/0/run/artifacts/../../other", "/data/0/run/artifacts", false)]
    [InlineData("/data/0/run/artifactsX/model", "/data/0/run/artifacts", false)]
    public void Inside_checks(string path, string dir, bool inside) => Assert.Equal(inside, ModelSource.IsInside(path, dir));
}
