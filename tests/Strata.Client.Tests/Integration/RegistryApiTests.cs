using System.Net;
using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Client.Tests.Integration;

public sealed class RegistryApiTests : IAsyncLifetime
{
    private StrataTestServer _server = null!;
    private StrataClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await StrataTestServer.StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Registered_models_versions_stages_aliases_tags_and_search()
    {
        var created = await _client.CreateRegisteredModelAsync("clf", "first", [new KeyValue("team", "a")]);
        Assert.Equal("clf", created.Name);
        var duplicate = await Assert.ThrowsAsync<StrataApiException>(() => _client.CreateRegisteredModelAsync("clf"));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, duplicate.ErrorCode);
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);

        var exp = await _client.CreateExperimentAsync("registry");
        var run = await _client.CreateRunAsync(exp);
        var v1 = await _client.CreateModelVersionAsync("clf", $"{run.Info.ArtifactUri}/model", run.Info.RunId, [new KeyValue("k", "v")]);
        var v2 = await _client.CreateModelVersionAsync("clf", $"{run.Info.ArtifactUri}/model2", run.Info.RunId, description: "second");
        Assert.Equal((1L, 2L), (v1.Version, v2.Version));
        Assert.Equal("None", v1.CurrentStage);

        var staged = await _client.TransitionModelVersionStageAsync("clf", 1, "production", archiveExistingVersions: true);
        Assert.Equal("Production", staged.CurrentStage);
        var latest = await _client.GetLatestVersionsAsync("clf", ["Production"]);
        Assert.Equal(1, latest.Single().Version);

        await _client.SetRegisteredModelAliasAsync("clf", "champion", 2);
        Assert.Equal(2, (await _client.GetModelVersionByAliasAsync("clf", "champion")).Version);
        var model = await _client.GetRegisteredModelAsync("clf");
        Assert.Equal(new Core.Registry.RegisteredModelAlias("champion", 2), model.Aliases.Single());
        await _client.DeleteRegisteredModelAliasAsync("clf", "champion");
        var unknownAlias = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetModelVersionByAliasAsync("clf", "champion"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, unknownAlias.ErrorCode);

        await _client.SetModelVersionTagAsync("clf", 2, "validated", "true");
        await _client.DeleteModelVersionTagAsync("clf", 1, "k");
        Assert.Equal("updated", (await _client.UpdateModelVersionAsync("clf", 2, "updated")).Description);
        var v2Fetched = await _client.GetModelVersionAsync("clf", 2);
        Assert.Contains(v2Fetched.Tags, t => t is { Key: "validated", Value: "true" });
        Assert.Empty((await _client.GetModelVersionAsync("clf", 1)).Tags);
        Assert.Equal($"{run.Info.ArtifactUri}/model2", await _client.GetModelVersionDownloadUriAsync("clf", 2));

        await _client.SetRegisteredModelTagAsync("clf", "owner", "me");
        await _client.DeleteRegisteredModelTagAsync("clf", "team");
        Assert.Equal("described", (await _client.UpdateRegisteredModelAsync("clf", "described")).Description);

        for (var i = 0; i < 3; i++)
        {
            await _client.CreateRegisteredModelAsync($"other-{i}");
        }
        var models = await _client.SearchRegisteredModelsAsync(new RegisteredModelSearch(MaxResults: 2)).ToListAsync();
        Assert.Equal(["clf", "other-0", "other-1", "other-2"], models.Select(m => m.Name));
        var versions = await _client.SearchModelVersionsAsync(new ModelVersionSearch(Filter: "name = 'clf'", MaxResults: 1)).ToListAsync();
        Assert.Equal(2, versions.Count);

        var renamed = await _client.RenameRegisteredModelAsync("clf", "clf2");
        Assert.Equal("clf2", renamed.Name);
        await _client.DeleteModelVersionAsync("clf2", 1);
        await Assert.ThrowsAsync<StrataApiException>(() => _client.GetModelVersionAsync("clf2", 1));
        await _client.DeleteRegisteredModelAsync("clf2");
        var gone = await Assert.ThrowsAsync<StrataApiException>(() => _client.GetRegisteredModelAsync("clf2"));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, gone.ErrorCode);
    }
}
