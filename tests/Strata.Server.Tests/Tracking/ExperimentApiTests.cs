using System.Net;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Tracking;

public sealed class ExperimentApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;

    private StrataTestServer Server => fixture.Server;

    [Fact]
    public async Task Default_experiment_exists_and_cannot_be_deleted()
    {
        var experiment = (await Server.GetAsync(Api + "experiments/get?experiment_id=0")).Ok().GetProperty("experiment");
        Assert.Equal("Default", experiment.GetProperty("name").GetString());
        Assert.Equal("mlflow-artifacts:/0", experiment.GetProperty("artifact_location").GetString());
        Assert.Equal("active", experiment.GetProperty("lifecycle_stage").GetString());
        Assert.False(experiment.TryGetProperty("tags", out _)); // empty arrays are omitted

        (await Server.PostAsync(Api + "experiments/delete", new { experiment_id = "0" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Create_get_and_get_by_name()
    {
        var name = "exp/with path-like:name " + Guid.NewGuid().ToString("N");
        var created = await Server.PostAsync(Api + "experiments/create", new
        {
            name,
            artifact_location = "s3://bucket/some/place",
            tags = new[] { new { key = "team", value = "ml" } },
        });
        var id = created.Ok().GetProperty("experiment_id").GetString()!;
        Assert.True(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture) > 0);

        var experiment = (await Server.GetAsync($"{Api}experiments/get-by-name?experiment_name={Uri.EscapeDataString(name)}")).Ok().GetProperty("experiment");
        Assert.Equal(id, experiment.GetProperty("experiment_id").GetString());
        Assert.Equal("s3://bucket/some/place", experiment.GetProperty("artifact_location").GetString());
        Assert.Equal("ml", experiment.List("tags").Single().GetProperty("value").GetString());
        Assert.True(experiment.GetProperty("creation_time").GetInt64() > 0);
        Assert.True(experiment.GetProperty("last_update_time").GetInt64() > 0);
    }

    [Fact]
    public async Task Default_artifact_location_is_under_the_root()
    {
        var id = await Server.CreateExperimentAsync();
        var experiment = (await Server.GetAsync($"{Api}experiments/get?experiment_id={id}")).Ok().GetProperty("experiment");
        Assert.Equal($"mlflow-artifacts:/{id}", experiment.GetProperty("artifact_location").GetString());
    }

    [Fact]
    public async Task Duplicate_names_are_resource_already_exists_400_even_when_deleted()
    {
        var name = "dup-" + Guid.NewGuid().ToString("N");
        var id = await Server.CreateExperimentAsync(name);
        (await Server.PostAsync(Api + "experiments/create", new { name })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await Server.PostAsync(Api + "experiments/delete", new { experiment_id = id })).Ok();
        (await Server.PostAsync(Api + "experiments/create", new { name })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
    }

    [Theory]
    [InlineData("s3://b/p#frag")]
    [InlineData("runs:/abc/artifacts")]
    [InlineData("http://h/p?x=../../etc")]
    public async Task Bad_artifact_locations_are_rejected(string location)
    {
        (await Server.PostAsync(Api + "experiments/create", new { name = "loc-" + Guid.NewGuid().ToString("N"), artifact_location = location }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Over_long_name_is_rejected()
    {
        (await Server.PostAsync(Api + "experiments/create", new { name = new string('n', 501) })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Unknown_ids_and_names_are_404()
    {
        (await Server.GetAsync(Api + "experiments/get?experiment_id=987654")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync(Api + "experiments/get-by-name?experiment_name=nope-" + Guid.NewGuid().ToString("N"))).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync(Api + "experiments/get?experiment_id=abc'%20OR%201=1--")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "experiments/delete", new { experiment_id = "987654" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync(Api + "experiments/get")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Delete_and_restore_cascade_to_runs()
    {
        var id = await Server.CreateExperimentAsync();
        var runId = await Server.CreateRunIdAsync(id);
        (await Server.PostAsync(Api + "experiments/delete", new { experiment_id = id })).Ok();
        var deleted = (await Server.GetAsync($"{Api}experiments/get?experiment_id={id}")).Ok().GetProperty("experiment");
        Assert.Equal("deleted", deleted.GetProperty("lifecycle_stage").GetString());
        Assert.Equal("deleted", (await Server.GetRunAsync(runId)).GetProperty("info").GetProperty("lifecycle_stage").GetString());

        (await Server.PostAsync(Api + "runs/create", new { experiment_id = id })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        (await Server.PostAsync(Api + "experiments/restore", new { experiment_id = id })).Ok();
        Assert.Equal("active", (await Server.GetRunAsync(runId)).GetProperty("info").GetProperty("lifecycle_stage").GetString());
        (await Server.PostAsync(Api + "experiments/restore", new { experiment_id = id })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Rename_requires_unique_name_and_active_experiment()
    {
        var id = await Server.CreateExperimentAsync();
        var other = "other-" + Guid.NewGuid().ToString("N");
        await Server.CreateExperimentAsync(other);
        var newName = "renamed-" + Guid.NewGuid().ToString("N");
        (await Server.PostAsync(Api + "experiments/update", new { experiment_id = id, new_name = newName })).Ok();
        Assert.Equal(newName, (await Server.GetAsync($"{Api}experiments/get?experiment_id={id}")).Ok().GetProperty("experiment").GetProperty("name").GetString());
        (await Server.PostAsync(Api + "experiments/update", new { experiment_id = id, new_name = other })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await Server.PostAsync(Api + "experiments/update", new { experiment_id = id })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "experiments/delete", new { experiment_id = id })).Ok();
        (await Server.PostAsync(Api + "experiments/update", new { experiment_id = id, new_name = "x" + Guid.NewGuid().ToString("N") }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Experiment_tags_upsert_and_delete()
    {
        var id = await Server.CreateExperimentAsync();
        (await Server.PostAsync(Api + "experiments/set-experiment-tag", new { experiment_id = id, key = "k", value = "v1" })).Ok();
        (await Server.PostAsync(Api + "experiments/set-experiment-tag", new { experiment_id = id, key = "k", value = "v2" })).Ok();
        var tags = (await Server.GetAsync($"{Api}experiments/get?experiment_id={id}")).Ok().GetProperty("experiment").List("tags");
        Assert.Equal("v2", Assert.Single(tags).GetProperty("value").GetString());

        (await Server.PostAsync(Api + "experiments/set-experiment-tag", new { experiment_id = id, key = "bad//key", value = "v" }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "experiments/set-experiment-tag", new { experiment_id = id, key = "k", value = new string('v', 5001) }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        (await Server.PostAsync(Api + "experiments/delete-experiment-tag", new { experiment_id = id, key = "k" })).Ok();
        (await Server.PostAsync(Api + "experiments/delete-experiment-tag", new { experiment_id = id, key = "k" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Search_filters_orders_and_pages()
    {
        var prefix = "srch-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await Server.CreateExperimentAsync($"{prefix}-{i}"));
        }

        await Server.PostAsync(Api + "experiments/set-experiment-tag", new { experiment_id = ids[2], key = "odd key", value = "it's" });

        var names = new List<string>();
        string? token = null;
        do
        {
            var page = (await Server.PostAsync(Api + "experiments/search", new
            {
                max_results = 2,
                filter = $"name LIKE '{prefix}-%'",
                order_by = new[] { "name DESC" },
                page_token = token,
            })).Ok();
            names.AddRange(page.List("experiments").Select(e => e.GetProperty("name").GetString()!));
            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
        }
        while (!string.IsNullOrEmpty(token));
        Assert.Equal(Enumerable.Range(0, 5).Reverse().Select(i => $"{prefix}-{i}"), names);

        var byTag = (await Server.GetAsync($"{Api}experiments/search?filter={Uri.EscapeDataString("tags.`odd key` = 'it''s'")}")).Ok();
        Assert.Equal(ids[2], Assert.Single(byTag.List("experiments")).GetProperty("experiment_id").GetString());

        var none = (await Server.PostAsync(Api + "experiments/search", new { filter = "name = 'x''; DROP TABLE experiments; --'" })).Ok();
        Assert.Empty(none.List("experiments"));
        Assert.Equal("{}", none.GetRawText().Replace(" ", "", StringComparison.Ordinal));

        (await Server.PostAsync(Api + "experiments/search", new { filter = "name ~ 'x'" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "experiments/search", new { max_results = 50001 })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "experiments/search", new { page_token = "not-a-token!!" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Search_view_types()
    {
        var name = "view-" + Guid.NewGuid().ToString("N");
        var id = await Server.CreateExperimentAsync(name);
        await Server.PostAsync(Api + "experiments/delete", new { experiment_id = id });
        var filter = $"name = '{name}'";
        Assert.Empty((await Server.PostAsync(Api + "experiments/search", new { filter })).Ok().List("experiments"));
        Assert.Single((await Server.PostAsync(Api + "experiments/search", new { filter, view_type = "DELETED_ONLY" })).Ok().List("experiments"));
        Assert.Single((await Server.PostAsync(Api + "experiments/search", new { filter, view_type = 3 })).Ok().List("experiments"));
    }
}
