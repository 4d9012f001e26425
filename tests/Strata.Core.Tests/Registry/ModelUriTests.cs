using Strata.Core.Errors;
using Strata.Core.Registry;

namespace Strata.Core.Tests.Registry;

public sealed class ModelUriTests
{
    [Fact]
    public void Version_form()
    {
        var uri = ModelUri.Parse("models:/my-model/3");
        Assert.Equal(new ModelUri(ModelUriKind.Version, "my-model", "3", ""), uri);
    }

    [Fact]
    public void Stage_form_is_case_insensitive_and_canonical() =>
        Assert.Equal(new ModelUri(ModelUriKind.Stage, "m", "Production", ""), ModelUri.Parse("models:/m/production"));

    [Fact]
    public void Latest_form() => Assert.Equal(ModelUriKind.Latest, ModelUri.Parse("models:/m/LATEST").Kind);

    [Fact]
    public void Alias_form_splits_on_last_at() =>
        Assert.Equal(new ModelUri(ModelUriKind.Alias, "a@b", "champion", "sub/file.txt"), ModelUri.Parse("models:/a@b@champion/sub/file.txt"));

    [Fact]
    public void Logged_model_form() =>
        Assert.Equal(new ModelUri(ModelUriKind.LoggedModel, "", "m-abc", ""), ModelUri.Parse("models:/m-abc"));

    [Fact]
    public void Sub_path_is_kept_and_appended()
    {
        var uri = ModelUri.Parse("models:/m/2/data/model.pkl");
        Assert.Equal("data/model.pkl", uri.SubPath);
        Assert.Equal("s3://b/k/data/model.pkl", uri.Under("s3://b/k/"));
    }

    [Theory]
    [InlineData("runs:/abc/model")]
    [InlineData("models:/")]
    [InlineData("models:/name")]
    [InlineData("models:/name/NotAStage")]
    [InlineData("models:/@alias")]
    public void Bad_uris_are_400(string text) =>
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, Assert.Throws<MlflowException>(() => ModelUri.Parse(text)).Code);
}
