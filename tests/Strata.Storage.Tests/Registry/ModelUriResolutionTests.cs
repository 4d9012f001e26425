using Strata.Core.Errors;
using Strata.Core.Registry;

namespace Strata.Storage.Tests.Registry;

/// <summary>Runs on SQLite; the PostgreSQL subclass runs the same tests there.</summary>
public class ModelUriResolutionTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;

    private RegistryService S => _f.Service;

    public async Task InitializeAsync()
    {
        _f = await CreateFixtureAsync();
        await S.CreateRegisteredModelAsync("fraud", null, null, null, null, default);
        for (var i = 1; i <= 4; i++)
        {
            await S.CreateModelVersionAsync("fraud", $"s3://bucket/fraud/v{i}", null, null, null, null, null, null, default);
        }

        await S.TransitionModelVersionStageAsync("fraud", "2", "Production", false, null, default);
        await S.TransitionModelVersionStageAsync("fraud", "4", "Archived", false, null, default);
        await S.SetAliasAsync("fraud", "champion", "3", null, default);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    [Theory]
    [InlineData("models:/fraud/3", 3)]
    [InlineData("models:/fraud/Production", 2)]
    [InlineData("models:/fraud/production", 2)]
    [InlineData("models:/fraud/None", 3)]
    [InlineData("models:/fraud/latest", 4)]
    [InlineData("models:/fraud@champion", 3)]
    [InlineData("models:/fraud@latest", 4)]
    public async Task Resolves_to_name_and_version(string uri, long version)
    {
        var resolved = await S.ResolveModelUriAsync(uri, default);
        Assert.Equal(("fraud", version), (resolved.Name, resolved.Version));
    }

    [Fact]
    public async Task Artifact_uri_includes_the_sub_path()
    {
        Assert.Equal("s3://bucket/fraud/v3/MLmodel", await S.ResolveArtifactUriAsync("models:/fraud@champion/MLmodel", default));
        Assert.Equal("s3://bucket/fraud/v2", await S.ResolveArtifactUriAsync("models:/fraud/Production", default));
    }

    [Fact]
    public async Task Logged_model_ids_resolve_through_their_registration_and_location()
    {
        _f.Tracking.AddLoggedModel("m-abc", "mlflow-artifacts:/0/models/m-abc/artifacts", null);
        Assert.Equal("mlflow-artifacts:/0/models/m-abc/artifacts", await S.ResolveArtifactUriAsync("models:/m-abc", default));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, (await Assert.ThrowsAsync<MlflowException>(() => S.ResolveModelUriAsync("models:/m-abc", default))).Code);

        await S.CreateModelVersionAsync("fraud", "models:/m-abc", null, null, null, null, null, null, default);
        var resolved = await S.ResolveModelUriAsync("models:/m-abc", default);
        Assert.Equal(("fraud", 5L), (resolved.Name, resolved.Version));
    }

    [Theory]
    [InlineData("models:/fraud/Staging", ErrorCode.RESOURCE_DOES_NOT_EXIST)]
    [InlineData("models:/fraud/9", ErrorCode.RESOURCE_DOES_NOT_EXIST)]
    [InlineData("models:/ghost/1", ErrorCode.RESOURCE_DOES_NOT_EXIST)]
    [InlineData("models:/ghost/latest", ErrorCode.RESOURCE_DOES_NOT_EXIST)]
    [InlineData("models:/fraud@nobody", ErrorCode.INVALID_PARAMETER_VALUE)]
    [InlineData("models:/fraud/Bogus", ErrorCode.INVALID_PARAMETER_VALUE)]
    public async Task Unresolvable_uris_fail_with_the_right_code(string uri, ErrorCode code) =>
        Assert.Equal(code, (await Assert.ThrowsAsync<MlflowException>(() => S.ResolveModelUriAsync(uri, default))).Code);
}
