using Strata.Core.Errors;
using Strata.Core.Registry;

namespace Strata.Core.Tests.Registry;

public sealed class RegistryValidationTests
{
    [Theory]
    [InlineData("prod")]
    [InlineData("champion_1")]
    [InlineData("a-b")]
    [InlineData("v1x")]
    [InlineData("vv1")]
    public void Valid_aliases_pass(string alias) => RegistryValidation.ValidateAlias(alias);

    [Theory]
    [InlineData("")]
    [InlineData("latest")]
    [InlineData("LATEST")]
    [InlineData("Latest")]
    [InlineData("v1")]
    [InlineData("V12")]
    [InlineData("has space")]
    [InlineData("dot.ted")]
    [InlineData("slash/y")]
    public void Invalid_aliases_are_400(string alias)
    {
        var ex = Assert.Throws<MlflowException>(() => RegistryValidation.ValidateAlias(alias));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
    }

    [Fact]
    public void Alias_length_limit_is_255()
    {
        RegistryValidation.ValidateAlias(new string('a', 255));
        Assert.Throws<MlflowException>(() => RegistryValidation.ValidateAlias(new string('a', 256)));
    }

    [Theory]
    [InlineData("key")]
    [InlineData("mlflow.prompt.is_prompt")]
    [InlineData("a/b c:d-e")]
    [InlineData("ünïcode")]
    public void Valid_tag_keys_pass(string key) => RegistryValidation.ValidateTagKey(key);

    [Theory]
    [InlineData("")]
    [InlineData("/abs")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("a/")]
    [InlineData(".")]
    [InlineData("..x")]
    [InlineData("a/../b")]
    [InlineData("bad$char")]
    public void Invalid_tag_keys_are_400(string key)
    {
        var ex = Assert.Throws<MlflowException>(() => RegistryValidation.ValidateTagKey(key));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
    }

    [Fact]
    public void Tag_key_length_limit_is_250()
    {
        RegistryValidation.ValidateTagKey(new string('k', 250));
        Assert.Throws<MlflowException>(() => RegistryValidation.ValidateTagKey(new string('k', 251)));
    }

    [Theory]
    [InlineData("none", "None")]
    [InlineData("STAGING", "Staging")]
    [InlineData("production", "Production")]
    [InlineData("Archived", "Archived")]
    public void Stages_are_case_insensitive_with_canonical_spelling(string input, string canonical) =>
        Assert.Equal(canonical, ModelStages.Canonicalize(input));

    [Theory]
    [InlineData("prod")]
    [InlineData("")]
    [InlineData(null)]
    public void Unknown_stage_is_400(string? input) =>
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, Assert.Throws<MlflowException>(() => ModelStages.Canonicalize(input)).Code);

    [Theory]
    [InlineData("1", 1L)]
    [InlineData("42", 42L)]
    public void Versions_parse(string text, long expected) => Assert.Equal(expected, RegistryValidation.ParseVersion(text));

    [Theory]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("")]
    public void Bad_versions_are_400(string text) =>
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, Assert.Throws<MlflowException>(() => RegistryValidation.ParseVersion(text)).Code);
}
