using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Registry;

/// <summary>Runs on SQLite; the PostgreSQL subclass runs the same tests there.</summary>
public class RegistryEventsTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;

    private RegistryService S => _f.Service;

    public async Task InitializeAsync() => _f = await CreateFixtureAsync();

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    private async Task<List<RegistryEvent>> AllEvents(string? name = null)
    {
        var all = new List<RegistryEvent>();
        string? token = null;
        do
        {
            var page = await S.ListEventsAsync(name, 3, token, default);
            all.AddRange(page.Items);
            token = page.NextPageToken;
        }
        while (token is not null);
        return all;
    }

    [Fact]
    public async Task Every_change_writes_one_event_in_order()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, "alice", default);
        await S.UpdateRegisteredModelAsync("m", "d", null, default);
        await S.SetRegisteredModelTagAsync("m", "k", "v", null, default);
        await S.DeleteRegisteredModelTagAsync("m", "k", null, default);
        await S.DeleteRegisteredModelTagAsync("m", "k", null, default); // nothing deleted: no event
        await S.CreateModelVersionAsync("m", "s3://b/m", null, null, null, null, null, "bob", default);
        await S.CreateModelVersionAsync("m", "s3://b/m", null, null, null, null, null, null, default);
        await S.UpdateModelVersionAsync("m", "1", "vd", null, default);
        await S.SetModelVersionTagAsync("m", "1", "k", "v", null, default);
        await S.DeleteModelVersionTagAsync("m", "1", "k", null, default);
        await S.TransitionModelVersionStageAsync("m", "1", "Production", false, null, default);
        await S.SetAliasAsync("m", "champ", "1", null, default);
        await S.DeleteAliasAsync("m", "champ", null, default);
        await S.DeleteAliasAsync("m", "champ", null, default); // nothing deleted: no event
        await S.DeleteModelVersionAsync("m", "2", null, default);
        await S.RenameRegisteredModelAsync("m", "n", null, default);
        await S.DeleteRegisteredModelAsync("n", null, default);

        var events = await AllEvents();
        Assert.Equal(
            [
                RegistryEventTypes.RegisteredModelCreated, RegistryEventTypes.RegisteredModelUpdated, RegistryEventTypes.RegisteredModelTagSet,
                RegistryEventTypes.RegisteredModelTagDeleted, RegistryEventTypes.ModelVersionCreated, RegistryEventTypes.ModelVersionCreated,
                RegistryEventTypes.ModelVersionUpdated, RegistryEventTypes.ModelVersionTagSet, RegistryEventTypes.ModelVersionTagDeleted,
                RegistryEventTypes.ModelVersionStageTransitioned, RegistryEventTypes.AliasSet, RegistryEventTypes.AliasDeleted,
                RegistryEventTypes.ModelVersionDeleted, RegistryEventTypes.RegisteredModelRenamed, RegistryEventTypes.RegisteredModelDeleted,
            ],
            events.Select(e => e.EventType));
        Assert.True(events.Zip(events.Skip(1)).All(p => p.First.Id < p.Second.Id));
        Assert.Equal("alice", events[0].UserId);
        Assert.Null(events[0].Before);
        Assert.Equal("m", JsonDocument.Parse(events[0].After!).RootElement.GetProperty("name").GetString());
        Assert.Equal("bob", events[4].UserId);
        Assert.Equal(1, events[4].Version);

        var transition = events[9];
        Assert.Equal("None", JsonDocument.Parse(transition.Before!).RootElement.GetProperty("current_stage").GetString());
        Assert.Equal("Production", JsonDocument.Parse(transition.After!).RootElement.GetProperty("current_stage").GetString());
        var rename = events[13];
        Assert.Equal("n", rename.ModelName);
        Assert.Equal("m", JsonDocument.Parse(rename.Before!).RootElement.GetProperty("name").GetString());
        Assert.Null(events[14].After);

        Assert.Equal(13, (await AllEvents("m")).Count);
        Assert.Equal(2, (await AllEvents("n")).Count);
    }

    [Fact]
    public async Task Archive_existing_writes_an_event_per_moved_version()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        for (var i = 0; i < 3; i++)
        {
            await S.CreateModelVersionAsync("m", "s3://b/m", null, null, null, null, null, null, default);
        }

        await S.TransitionModelVersionStageAsync("m", "1", "Staging", false, null, default);
        await S.TransitionModelVersionStageAsync("m", "2", "Staging", false, null, default);
        var before = (await AllEvents()).Count;
        await S.TransitionModelVersionStageAsync("m", "3", "Staging", true, null, default);
        var added = (await AllEvents()).Skip(before).ToList();
        Assert.Equal([1L, 2L, 3L], added.Select(e => e.Version!.Value));
        Assert.All(added, e => Assert.Equal(RegistryEventTypes.ModelVersionStageTransitioned, e.EventType));
    }

    [Fact]
    public async Task A_failed_change_writes_no_event()
    {
        await S.CreateRegisteredModelAsync("m", null, null, null, null, default);
        await Assert.ThrowsAsync<MlflowException>(() => S.CreateRegisteredModelAsync("m", null, null, null, null, default));
        await Assert.ThrowsAsync<MlflowException>(() => S.SetAliasAsync("m", "a", "1", null, default));
        await Assert.ThrowsAsync<MlflowException>(() => S.CreateModelVersionAsync("ghost", "s3://b/m", null, null, null, null, null, null, default));
        Assert.Single(await AllEvents());
    }

    [Fact]
    public async Task Bad_page_token_and_page_size_are_400()
    {
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => S.ListEventsAsync(null, 10, "%%%", default))).Code);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => S.ListEventsAsync(null, 0, null, default))).Code);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => S.ListEventsAsync(null, 1001, null, default))).Code);
    }

    [Fact]
    public async Task Tag_event_keeps_old_value()
    {
        await S.CreateRegisteredModelAsync("m", [new KeyValue("k", "1")], null, null, null, default);
        await S.SetRegisteredModelTagAsync("m", "k", "2", null, default);
        var set = (await AllEvents()).Last();
        Assert.Equal("1", JsonDocument.Parse(set.Before!).RootElement.GetProperty("value").GetString());
        Assert.Equal("2", JsonDocument.Parse(set.After!).RootElement.GetProperty("value").GetString());
    }
}
