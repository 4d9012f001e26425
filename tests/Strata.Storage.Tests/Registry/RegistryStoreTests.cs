using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Registry;

/// <summary>Runs on SQLite; the PostgreSQL subclass runs the same tests there.</summary>
public class RegistryStoreTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;

    private RegistryService S => _f.Service;

    public async Task InitializeAsync() => _f = await CreateFixtureAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    private static async Task<ErrorCode> CodeOf(Func<Task> action) => (await Assert.ThrowsAsync<MlflowException>(action)).Code;

    private Task<ModelVersion> NewVersion(string name, string source = "s3://bucket/model", string? runId = null) =>
        S.CreateModelVersionAsync(name, source, runId, null, null, null, null, null, CancellationToken.None);

    [Fact]
    public async Task Create_get_and_duplicate_registered_model()
    {
        var created = await S.CreateRegisteredModelAsync("m", [new KeyValue("team", "a")], "desc", null, "alice", default);
        Assert.Equal("m", created.Name);
        Assert.Equal("desc", created.Description);
        Assert.Equal("alice", created.UserId);
        Assert.Equal(created.CreationTimestamp, created.LastUpdatedTimestamp);
        Assert.Equal([new KeyValue("team", "a")], created.Tags);
        Assert.Empty(created.LatestVersions);

        var fetched = await S.GetRegisteredModelAsync("m", default);
        Assert.Equal(created.Name, fetched.Name);
        Assert.Equal(created.Tags, fetched.Tags);

        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, await CodeOf(() => S.CreateRegisteredModelAsync("m", null, null, null, null, default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.GetRegisteredModelAsync("nope", default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.CreateRegisteredModelAsync("", null, null, null, null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.CreateRegisteredModelAsync("x", [new KeyValue("bad//key", "v")], null, null, null, default)));
    }

    [Fact]
    public async Task Names_are_case_sensitive()
    {
        await S.CreateRegisteredModelAsync("Model", null, null, null, null, default);
        await S.CreateRegisteredModelAsync("model", null, null, null, null, default);
        Assert.Equal("model", (await S.GetRegisteredModelAsync("model", default)).Name);
    }

    [Fact]
    public async Task Update_description_only_when_present()
    {
        await S.CreateRegisteredModelAsync("m", null, "one", null, null, default);
        var updated = await S.UpdateRegisteredModelAsync("m", "two", null, default);
        Assert.Equal("two", updated.Description);
        Assert.True(updated.LastUpdatedTimestamp > updated.CreationTimestamp);
        Assert.Equal("two", (await S.UpdateRegisteredModelAsync("m", null, null, default)).Description);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.UpdateRegisteredModelAsync("nope", "x", null, default)));

        await NewVersion("m");
        var v = await S.UpdateModelVersionAsync("m", "1", "vdesc", null, default);
        Assert.Equal("vdesc", v.Description);
        Assert.Equal("vdesc", (await S.UpdateModelVersionAsync("m", "1", null, null, default)).Description);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.UpdateModelVersionAsync("m", "9", "x", null, default)));
    }

    [Fact]
    public async Task Versions_are_numbered_from_one_ready_in_stage_None_and_never_reused()
    {
        var model = await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        var v1 = await NewVersion("m");
        Assert.Equal(1, v1.Version);
        Assert.Equal(ModelVersionStatus.READY, v1.Status);
        Assert.Equal(ModelStages.None, v1.CurrentStage);
        Assert.True((await S.GetRegisteredModelAsync("m", default)).LastUpdatedTimestamp > model.LastUpdatedTimestamp);

        Assert.Equal(2, (await NewVersion("m")).Version);
        Assert.Equal(3, (await NewVersion("m")).Version);
        await S.DeleteModelVersionAsync("m", "3", null, default);
        Assert.Equal(4, (await NewVersion("m")).Version);

        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => NewVersion("missing")));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.GetModelVersionAsync("m", "3", default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.GetModelVersionAsync("m", "abc", default)));
    }

    [Fact]
    public async Task Create_version_with_tags_run_link_and_description()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        var v = await S.CreateModelVersionAsync("m", "s3://b/k", "r1", [new KeyValue("k", "v")], "http://link", "d", null, "bob", default);
        Assert.Equal("r1", v.RunId);
        Assert.Equal("http://link", v.RunLink);
        Assert.Equal("d", v.Description);
        Assert.Equal("bob", v.UserId);
        Assert.Equal([new KeyValue("k", "v")], v.Tags);
        Assert.Equivalent(v, await S.GetModelVersionAsync("m", "1", default), strict: true);
    }

    [Fact]
    public async Task Latest_versions_hold_the_highest_version_per_stage()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        for (var i = 0; i < 5; i++)
        {
            await NewVersion("m");
        }

        await S.TransitionModelVersionStageAsync("m", "1", "production", false, null, default);
        await S.TransitionModelVersionStageAsync("m", "2", "Staging", false, null, default);
        await S.TransitionModelVersionStageAsync("m", "3", "STAGING", false, null, default);
        await S.DeleteModelVersionAsync("m", "5", null, default);

        var model = await S.GetRegisteredModelAsync("m", default);
        Assert.Equal(
            [("None", 4L), ("Staging", 3L), ("Production", 1L)],
            model.LatestVersions.Select(v => (v.CurrentStage, v.Version)).ToArray());

        var staging = await S.GetLatestVersionsAsync("m", ["staging"], default);
        Assert.Equal(3, Assert.Single(staging).Version);
        Assert.Equal(3, (await S.GetLatestVersionsAsync("m", null, default)).Count);
        Assert.Empty(await S.GetLatestVersionsAsync("m", ["Archived"], default));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.GetLatestVersionsAsync("m", ["bogus"], default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.GetLatestVersionsAsync("nope", null, default)));
    }

    [Fact]
    public async Task Transition_stage_rules_and_archive_existing()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await NewVersion("m");
        await NewVersion("m");
        await NewVersion("m");
        await S.TransitionModelVersionStageAsync("m", "1", "Production", false, null, default);
        await S.TransitionModelVersionStageAsync("m", "2", "Production", false, null, default);

        var moved = await S.TransitionModelVersionStageAsync("m", "3", "production", true, null, default);
        Assert.Equal("Production", moved.CurrentStage);
        Assert.Equal("Archived", (await S.GetModelVersionAsync("m", "1", default)).CurrentStage);
        Assert.Equal("Archived", (await S.GetModelVersionAsync("m", "2", default)).CurrentStage);

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.TransitionModelVersionStageAsync("m", "1", "Prod", false, null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.TransitionModelVersionStageAsync("m", "1", "Archived", true, null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.TransitionModelVersionStageAsync("m", "1", "None", true, null, default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.TransitionModelVersionStageAsync("m", "7", "None", false, null, default)));
    }

    [Fact]
    public async Task Rename_carries_versions_tags_and_aliases()
    {
        await S.CreateRegisteredModelAsync("old", [new KeyValue("t", "1")], null, null, null, default);
        await NewVersion("old");
        await NewVersion("old");
        await S.SetModelVersionTagAsync("old", "2", "vt", "x", null, default);
        await S.SetAliasAsync("old", "champion", "2", null, default);
        await S.CreateRegisteredModelAsync("taken", null, null, null, null, default);

        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, await CodeOf(() => S.RenameRegisteredModelAsync("old", "taken", null, default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.RenameRegisteredModelAsync("ghost", "x", null, default)));

        var renamed = await S.RenameRegisteredModelAsync("old", "new", null, default);
        Assert.Equal("new", renamed.Name);
        Assert.Equal([new KeyValue("t", "1")], renamed.Tags);
        Assert.Equal([new RegisteredModelAlias("champion", 2)], renamed.Aliases);
        var v2 = await S.GetModelVersionByAliasAsync("new", "champion", default);
        Assert.Equal(("new", 2L), (v2.Name, v2.Version));
        Assert.Equal([new KeyValue("vt", "x")], v2.Tags);
        Assert.Equal(["champion"], v2.Aliases);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.GetRegisteredModelAsync("old", default)));
        Assert.Equal(0, await _f.CountAsync("SELECT COUNT(*) FROM model_versions WHERE name = 'old'"));
        Assert.Equal(3, (await NewVersion("new")).Version);
    }

    [Fact]
    public async Task Delete_model_is_a_hard_cascade()
    {
        await S.CreateRegisteredModelAsync("m", [new KeyValue("t", "1")], null, null, null, default);
        await NewVersion("m");
        await S.SetModelVersionTagAsync("m", "1", "vt", "x", null, default);
        await S.SetAliasAsync("m", "a", "1", null, default);
        await S.DeleteRegisteredModelAsync("m", null, default);

        foreach (var table in new[] { "registered_models", "registered_model_tags", "model_versions", "model_version_tags", "registered_model_aliases" })
        {
            Assert.Equal(0, await _f.CountAsync($"SELECT COUNT(*) FROM {table}"));
        }

        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.DeleteRegisteredModelAsync("m", null, default)));
        // The name is free again and numbering restarts with the new model.
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        Assert.Equal(1, (await NewVersion("m")).Version);
    }

    [Fact]
    public async Task Delete_version_is_soft_redacted_and_removes_aliases()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await S.CreateModelVersionAsync("m", "s3://b/secret", "run1", [new KeyValue("k", "v")], "http://l", "d", null, null, default);
        await NewVersion("m");
        await S.SetAliasAsync("m", "champion", "1", null, default);
        await S.DeleteModelVersionAsync("m", "1", null, default);

        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.GetModelVersionAsync("m", "1", default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.DeleteModelVersionAsync("m", "1", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.GetModelVersionByAliasAsync("m", "champion", default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.SetAliasAsync("m", "again", "1", null, default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.SetModelVersionTagAsync("m", "1", "k", "v", null, default)));
        Assert.Empty((await S.GetRegisteredModelAsync("m", default)).Aliases);
        Assert.Equal([2L], (await S.SearchModelVersionsAsync([], [], null, null, default)).Items.Select(v => v.Version));

        Assert.Equal(1, await _f.CountAsync("SELECT COUNT(*) FROM model_versions WHERE version = 1 AND source = 'REDACTED-SOURCE-PATH' AND run_id IS NULL AND description IS NULL"));
        Assert.Equal(0, await _f.CountAsync("SELECT COUNT(*) FROM model_version_tags"));
    }

    [Fact]
    public async Task Aliases_set_overwrite_get_and_delete()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await NewVersion("m");
        await NewVersion("m");
        await S.SetAliasAsync("m", "champ", "1", null, default);
        Assert.Equal(1, (await S.GetModelVersionByAliasAsync("m", "champ", default)).Version);
        await S.SetAliasAsync("m", "champ", "2", null, default);
        Assert.Equal(2, (await S.GetModelVersionByAliasAsync("m", "champ", default)).Version);
        Assert.Equal(2, (await S.GetModelVersionByAliasAsync("m", "latest", default)).Version);
        Assert.Equal(["champ"], (await S.GetModelVersionAsync("m", "2", default)).Aliases);
        Assert.Empty((await S.GetModelVersionAsync("m", "1", default)).Aliases);

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.GetModelVersionByAliasAsync("m", "unknown", default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.SetAliasAsync("m", "x", "9", null, default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.SetAliasAsync("nope", "x", "1", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetAliasAsync("m", "latest", "1", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetAliasAsync("m", "v3", "1", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetAliasAsync("m", "bad alias", "1", null, default)));

        await S.DeleteAliasAsync("m", "champ", null, default);
        await S.DeleteAliasAsync("m", "never-set", null, default);
        Assert.Empty((await S.GetRegisteredModelAsync("m", default)).Aliases);
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.DeleteAliasAsync("nope", "champ", null, default)));
    }

    [Fact]
    public async Task Tags_upsert_and_delete_silently()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await NewVersion("m");
        await S.SetRegisteredModelTagAsync("m", "k", "1", null, default);
        await S.SetRegisteredModelTagAsync("m", "k", "2", null, default);
        Assert.Equal([new KeyValue("k", "2")], (await S.GetRegisteredModelAsync("m", default)).Tags);
        await S.DeleteRegisteredModelTagAsync("m", "k", null, default);
        await S.DeleteRegisteredModelTagAsync("m", "k", null, default);
        Assert.Empty((await S.GetRegisteredModelAsync("m", default)).Tags);

        await S.SetModelVersionTagAsync("m", "1", "k", "a", null, default);
        await S.SetModelVersionTagAsync("m", "1", "k", "b", null, default);
        Assert.Equal([new KeyValue("k", "b")], (await S.GetModelVersionAsync("m", "1", default)).Tags);
        await S.DeleteModelVersionTagAsync("m", "1", "k", null, default);
        await S.DeleteModelVersionTagAsync("m", "1", "k", null, default);
        Assert.Empty((await S.GetModelVersionAsync("m", "1", default)).Tags);

        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.SetRegisteredModelTagAsync("nope", "k", "v", null, default)));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => S.DeleteModelVersionTagAsync("m", "5", "k", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetRegisteredModelTagAsync("m", "", "v", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetRegisteredModelTagAsync("m", new string('k', 251), "v", null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetRegisteredModelTagAsync("m", "k", new string('v', 5001), null, default)));
        await S.SetModelVersionTagAsync("m", "1", "big", new string('v', 100_000), null, default);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => S.SetModelVersionTagAsync("m", "1", "big", new string('v', 100_001), null, default)));
    }

    [Fact]
    public async Task Sources_are_validated_and_resolved_for_download()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        _f.Tracking.AddRun("r1", "mlflow-artifacts:/0/r1/artifacts");
        _f.Tracking.AddRun("rlocal", "/srv/mlruns/0/rlocal/artifacts");
        _f.Tracking.AddLoggedModel("m-0123", "mlflow-artifacts:/0/models/m-0123/artifacts", "r1");

        var plain = await NewVersion("m", "s3://bucket/path/model");
        Assert.Equal("s3://bucket/path/model", await S.GetModelVersionDownloadUriAsync("m", plain.Version.ToString(), default));

        var fromRun = await NewVersion("m", "runs:/r1/model");
        Assert.Equal("r1", fromRun.RunId);
        Assert.Equal("mlflow-artifacts:/0/r1/artifacts/model", await S.GetModelVersionDownloadUriAsync("m", fromRun.Version.ToString(), default));

        var fromLogged = await NewVersion("m", "models:/m-0123");
        Assert.Equal("m-0123", fromLogged.ModelId);
        Assert.Equal("r1", fromLogged.RunId);
        Assert.Equal("models:/m-0123", fromLogged.Source);
        Assert.Equal("mlflow-artifacts:/0/models/m-0123/artifacts", await S.GetModelVersionDownloadUriAsync("m", fromLogged.Version.ToString(), default));

        var copied = await NewVersion("m", "models:/m/2");
        Assert.Equal("mlflow-artifacts:/0/r1/artifacts/model", await S.GetModelVersionDownloadUriAsync("m", copied.Version.ToString(), default));

        var local = await NewVersion("m", "/srv/mlruns/0/rlocal/artifacts/model", "rlocal");
        Assert.Equal("/srv/mlruns/0/rlocal/artifacts/model", local.Source);

        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => NewVersion("m", "/etc/passwd")));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => NewVersion("m", "/srv/mlruns/0/other/artifacts", "rlocal")));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => NewVersion("m", "file:///srv/mlruns/0/rlocal/artifacts/../../x", "rlocal")));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => NewVersion("m", "s3://b/a/%2E%2E/b")));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => NewVersion("m", "")));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => NewVersion("m", "runs:/unknown/model")));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, await CodeOf(() => NewVersion("m", "models:/m-missing")));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await CodeOf(() => NewVersion("m", "models:/m/99")));
    }

    [Fact]
    public async Task Lineage_joins_run_experiment_and_logged_model()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        _f.Tracking.AddRun("r1", "mlflow-artifacts:/0/r1/artifacts", "7");
        _f.Tracking.AddLoggedModel("m-1", "mlflow-artifacts:/7/models/m-1/artifacts", "r1");
        await NewVersion("m", "models:/m-1");

        var lineage = await S.GetLineageAsync("m", "1", default);
        Assert.Equal(1, lineage.ModelVersion.Version);
        Assert.Equal("r1", lineage.Run!.Info.RunId);
        Assert.Equal("7", lineage.Experiment!.ExperimentId);
        Assert.Equal("m-1", lineage.LoggedModel!.Info.ModelId);
        Assert.Equal("train", Assert.Single(lineage.Run.Inputs.DatasetInputs).Dataset.Name);

        await NewVersion("m");
        var bare = await S.GetLineageAsync("m", "2", default);
        Assert.Null(bare.Run);
        Assert.Null(bare.Experiment);
    }
}
