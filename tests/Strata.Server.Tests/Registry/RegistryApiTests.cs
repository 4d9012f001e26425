using System.Net;
using System.Text.Json;
using Strata.Server.Tests.Infrastructure;

namespace Strata.Server.Tests.Registry;

public sealed class RegistryApiTests(StrataServerFixture fixture) : IClassFixture<StrataServerFixture>
{
    private const string Api = TrackingClient.Api;
    private const string Ajax = "/ajax-api/2.0/mlflow/";

    private StrataTestServer Server => fixture.Server;

    private static string NewName() => "model-" + Guid.NewGuid().ToString("N")[..12];

    private static string Q(string value) => Uri.EscapeDataString(value);

    private async Task<string> CreateModelAsync(string? name = null)
    {
        name ??= NewName();
        (await Server.PostAsync(Api + "registered-models/create", new { name })).Ok();
        return name;
    }

    private async Task<JsonElement> CreateVersionAsync(string name, string source = "s3://bucket/model", string? runId = null)
    {
        var body = runId is null ? (object)new { name, source } : new { name, source, run_id = runId };
        return (await Server.PostAsync(Api + "model-versions/create", body)).Ok().GetProperty("model_version");
    }

    [Fact]
    public async Task Registered_model_create_get_update_rename_delete()
    {
        var name = NewName();
        var created = (await Server.PostAsync(Api + "registered-models/create", new
        {
            name,
            description = "first",
            tags = new[] { new { key = "team", value = "risk" } },
        })).Ok().GetProperty("registered_model");
        Assert.Equal(name, created.GetProperty("name").GetString());
        Assert.Equal("first", created.GetProperty("description").GetString());
        Assert.True(created.GetProperty("creation_timestamp").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, created.GetProperty("last_updated_timestamp").ValueKind);
        Assert.Equal("risk", created.List("tags").Single().GetProperty("value").GetString());
        Assert.False(created.TryGetProperty("latest_versions", out _));

        (await Server.PostAsync(Api + "registered-models/create", new { name })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");
        (await Server.PostAsync(Api + "registered-models/create", new { name = "" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var got = (await Server.GetAsync($"{Api}registered-models/get?name={Q(name)}")).Ok().GetProperty("registered_model");
        Assert.Equal(name, got.GetProperty("name").GetString());
        (await Server.GetAsync($"{Api}registered-models/get?name=ghost-{Guid.NewGuid():N}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        var updated = (await Server.PatchAsync(Api + "registered-models/update", new { name, description = "second" })).Ok().GetProperty("registered_model");
        Assert.Equal("second", updated.GetProperty("description").GetString());

        await CreateVersionAsync(name);
        var newName = NewName();
        var renamed = (await Server.PostAsync(Api + "registered-models/rename", new { name, new_name = newName })).Ok().GetProperty("registered_model");
        Assert.Equal(newName, renamed.GetProperty("name").GetString());
        Assert.Equal(newName, renamed.List("latest_versions").Single().GetProperty("name").GetString());
        (await Server.GetAsync($"{Api}registered-models/get?name={Q(name)}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        var other = await CreateModelAsync();
        (await Server.PostAsync(Api + "registered-models/rename", new { name = newName, new_name = other })).IsError(HttpStatusCode.BadRequest, "RESOURCE_ALREADY_EXISTS");

        Assert.Equal("{}", (await Server.DeleteAsync(Api + "registered-models/delete", new { name = newName })).Ok().GetRawText());
        (await Server.DeleteAsync(Api + "registered-models/delete", new { name = newName })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}model-versions/get?name={Q(newName)}&version=1")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Model_version_lifecycle_over_the_wire()
    {
        var name = await CreateModelAsync();
        var v1 = await CreateVersionAsync(name);
        Assert.Equal("1", v1.GetProperty("version").GetString());
        Assert.Equal("READY", v1.GetProperty("status").GetString());
        Assert.Equal("None", v1.GetProperty("current_stage").GetString());
        Assert.Equal("s3://bucket/model", v1.GetProperty("source").GetString());
        Assert.Equal("2", (await CreateVersionAsync(name)).GetProperty("version").GetString());
        (await Server.PostAsync(Api + "model-versions/create", new { name = "ghost-" + Guid.NewGuid().ToString("N"), source = "s3://b/m" }))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "model-versions/create", new { name, source = "s3://b/../etc" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "model-versions/create", new { name, source = "/local/path" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "model-versions/create", new { name })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var got = (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=1")).Ok().GetProperty("model_version");
        Assert.Equal("1", got.GetProperty("version").GetString());
        (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=9")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=x")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var updated = (await Server.PatchAsync(Api + "model-versions/update", new { name, version = "1", description = "d" })).Ok().GetProperty("model_version");
        Assert.Equal("d", updated.GetProperty("description").GetString());

        var staged = (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "staging", archive_existing_versions = false }))
            .Ok().GetProperty("model_version");
        Assert.Equal("Staging", staged.GetProperty("current_stage").GetString());
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "2", stage = "staging", archive_existing_versions = true })).Ok();
        Assert.Equal("Archived", (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=1")).Ok().GetProperty("model_version").GetProperty("current_stage").GetString());
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "Prod", archive_existing_versions = false }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "Archived", archive_existing_versions = true }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var uri = (await Server.GetAsync($"{Api}model-versions/get-download-uri?name={Q(name)}&version=2")).Ok();
        Assert.Equal("s3://bucket/model", uri.GetProperty("artifact_uri").GetString());

        (await Server.DeleteAsync(Api + "model-versions/delete", new { name, version = "2" })).Ok();
        (await Server.DeleteAsync(Api + "model-versions/delete", new { name, version = "2" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=2")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        Assert.Equal("3", (await CreateVersionAsync(name)).GetProperty("version").GetString());
    }

    [Fact]
    public async Task Latest_versions_by_post_and_get()
    {
        var name = await CreateModelAsync();
        await CreateVersionAsync(name);
        await CreateVersionAsync(name);
        await CreateVersionAsync(name);
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "Production", archive_existing_versions = false })).Ok();

        var all = (await Server.PostAsync(Api + "registered-models/get-latest-versions", new { name })).Ok().List("model_versions");
        Assert.Equal([("None", "3"), ("Production", "1")], all.Select(v => (v.GetProperty("current_stage").GetString(), v.GetProperty("version").GetString())));
        var prod = (await Server.GetAsync($"{Api}registered-models/get-latest-versions?name={Q(name)}&stages=production")).Ok().List("model_versions");
        Assert.Equal("1", prod.Single().GetProperty("version").GetString());
        var none = (await Server.PostAsync(Api + "registered-models/get-latest-versions", new { name, stages = new[] { "Staging" } })).Ok();
        Assert.Equal("{}", none.GetRawText());
        (await Server.PostAsync(Api + "registered-models/get-latest-versions", new { name, stages = new[] { "bogus" } })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/get-latest-versions", new { name = "ghost-" + Guid.NewGuid().ToString("N") })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Aliases_over_the_wire()
    {
        var name = await CreateModelAsync();
        await CreateVersionAsync(name);
        await CreateVersionAsync(name);
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "champion", version = "2" })).Ok();
        var byAlias = (await Server.GetAsync($"{Api}registered-models/alias?name={Q(name)}&alias=champion")).Ok().GetProperty("model_version");
        Assert.Equal("2", byAlias.GetProperty("version").GetString());
        Assert.Equal(["champion"], byAlias.List("aliases").Select(a => a.GetString()));
        var model = (await Server.GetAsync($"{Api}registered-models/get?name={Q(name)}")).Ok().GetProperty("registered_model");
        var alias = model.List("aliases").Single();
        Assert.Equal(("champion", "2"), (alias.GetProperty("alias").GetString(), alias.GetProperty("version").GetString()));

        (await Server.GetAsync($"{Api}registered-models/alias?name={Q(name)}&alias=unknown")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "latest", version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "V2", version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "a.b", version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "ok", version = "7" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        (await Server.DeleteAsync(Api + "registered-models/alias", new { name, alias = "champion" })).Ok();
        (await Server.DeleteAsync(Api + "registered-models/alias", new { name, alias = "champion" })).Ok();
        (await Server.DeleteAsync($"{Api}registered-models/alias?name={Q(name)}&alias=never")).Ok();
        (await Server.GetAsync($"{Api}registered-models/alias?name={Q(name)}&alias=champion")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Tags_over_the_wire()
    {
        var name = await CreateModelAsync();
        await CreateVersionAsync(name);
        (await Server.PostAsync(Api + "registered-models/set-tag", new { name, key = "k", value = "v" })).Ok();
        (await Server.PostAsync(Api + "model-versions/set-tag", new { name, version = "1", key = "vk", value = "vv" })).Ok();
        var model = (await Server.GetAsync($"{Api}registered-models/get?name={Q(name)}")).Ok().GetProperty("registered_model");
        Assert.Equal("v", model.List("tags").Single().GetProperty("value").GetString());
        var version = (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=1")).Ok().GetProperty("model_version");
        Assert.Equal("vv", version.List("tags").Single().GetProperty("value").GetString());

        (await Server.PostAsync(Api + "registered-models/set-tag", new { name, key = "bad//key", value = "v" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "model-versions/set-tag", new { name, version = "5", key = "k", value = "v" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync(Api + "registered-models/delete-tag", new { name, key = "k" })).Ok();
        (await Server.DeleteAsync(Api + "registered-models/delete-tag", new { name, key = "k" })).Ok();
        (await Server.DeleteAsync(Api + "model-versions/delete-tag", new { name, version = "1", key = "vk" })).Ok();
        (await Server.DeleteAsync(Api + "model-versions/delete-tag", new { name, version = "1", key = "vk" })).Ok();
        Assert.False((await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}&version=1")).Ok().GetProperty("model_version").TryGetProperty("tags", out _));
    }

    [Fact]
    public async Task Searches_over_the_wire_with_paging_and_grammar_errors()
    {
        var prefix = "srch" + Guid.NewGuid().ToString("N")[..8];
        foreach (var suffix in new[] { "a", "b", "c" })
        {
            var name = await CreateModelAsync($"{prefix}-{suffix}");
            await CreateVersionAsync(name, runId: prefix + "run");
            await CreateVersionAsync(name);
        }

        var filter = Q($"name LIKE '{prefix}-%'");
        var first = (await Server.GetAsync($"{Api}registered-models/search?filter={filter}&max_results=2")).Ok();
        Assert.Equal([$"{prefix}-a", $"{prefix}-b"], first.List("registered_models").Select(m => m.GetProperty("name").GetString()));
        var token = first.GetProperty("next_page_token").GetString()!;
        var second = (await Server.GetAsync($"{Api}registered-models/search?filter={filter}&max_results=2&page_token={Q(token)}")).Ok();
        Assert.Equal([$"{prefix}-c"], second.List("registered_models").Select(m => m.GetProperty("name").GetString()));
        Assert.False(second.TryGetProperty("next_page_token", out _));

        var desc = (await Server.GetAsync($"{Api}registered-models/search?filter={filter}&order_by={Q("name DESC")}")).Ok();
        Assert.Equal($"{prefix}-c", desc.List("registered_models")[0].GetProperty("name").GetString());

        var byRun = (await Server.GetAsync($"{Api}model-versions/search?filter={Q($"run_id = '{prefix}run'")}")).Ok().List("model_versions");
        Assert.Equal(3, byRun.Count);
        Assert.All(byRun, v => Assert.Equal("1", v.GetProperty("version").GetString()));
        var ordered = (await Server.GetAsync($"{Api}model-versions/search?filter={Q($"name = '{prefix}-b'")}&order_by={Q("version_number ASC")}")).Ok().List("model_versions");
        Assert.Equal(["1", "2"], ordered.Select(v => v.GetProperty("version").GetString()));
        var viaAjax = (await Server.GetAsync($"{Ajax}model-versions/search?filter={Q($"name = '{prefix}-b'")}")).Ok().List("model_versions");
        Assert.Equal(["2", "1"], viaAjax.Select(v => v.GetProperty("version").GetString()));

        (await Server.GetAsync($"{Api}registered-models/search?filter={Q("name = unquoted")}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}registered-models/search?filter={Q("run_id = 'x'")}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}model-versions/search?filter={Q("version_number = 'one'")}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}model-versions/search?order_by={Q("source_path")}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}registered-models/search?max_results=1001")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}registered-models/search?page_token=garbage")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Runs_source_resolves_through_the_run_and_lineage_reads_it_back()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var run = await Server.CreateRunAsync(experimentId);
        var runId = run.GetProperty("info").GetProperty("run_id").GetString()!;
        var artifactUri = run.GetProperty("info").GetProperty("artifact_uri").GetString()!;
        (await Server.PostAsync(Api + "runs/log-parameter", new { run_id = runId, key = "alpha", value = "0.5" })).Ok();
        (await Server.PostAsync(Api + "runs/log-metric", new { run_id = runId, key = "rmse", value = 0.25, timestamp = 1_700_000_000_001L, step = 0 })).Ok();

        var name = await CreateModelAsync();
        var version = await CreateVersionAsync(name, $"runs:/{runId}/model");
        Assert.Equal(runId, version.GetProperty("run_id").GetString());
        var uri = (await Server.GetAsync($"{Api}model-versions/get-download-uri?name={Q(name)}&version=1")).Ok().GetProperty("artifact_uri").GetString();
        Assert.Equal(artifactUri + "/model", uri);

        var lineage = (await Server.GetAsync($"/api/2.0/strata/registry/lineage?name={Q(name)}&version=1")).Ok();
        Assert.Equal("1", lineage.GetProperty("model_version").GetProperty("version").GetString());
        Assert.Equal(runId, lineage.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString());
        Assert.Equal("0.5", lineage.GetProperty("run").GetProperty("data").List("params").Single().GetProperty("value").GetString());
        Assert.Equal(0.25, lineage.GetProperty("run").GetProperty("data").List("metrics").Single().GetProperty("value").GetDouble());
        Assert.Equal(experimentId, lineage.GetProperty("experiment").GetProperty("experiment_id").GetString());
        (await Server.GetAsync($"/api/2.0/strata/registry/lineage?name={Q(name)}&version=4")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        (await Server.PostAsync(Api + "model-versions/create", new { name, source = "runs:/0123456789abcdef0123456789abcdef/model" }))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    [Fact]
    public async Task Events_endpoint_pages_by_id()
    {
        var name = await CreateModelAsync();
        await CreateVersionAsync(name);
        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "prod", version = "1" })).Ok();
        (await Server.PostAsync(Api + "registered-models/set-tag", new { name, key = "k", value = "v" })).Ok();

        var types = new List<string>();
        var ids = new List<long>();
        string? token = null;
        do
        {
            var url = $"/api/2.0/strata/registry/events?name={Q(name)}&max_results=2" + (token is null ? "" : $"&page_token={Q(token)}");
            var page = (await Server.GetAsync(url)).Ok();
            foreach (var e in page.List("events"))
            {
                types.Add(e.GetProperty("event_type").GetString()!);
                ids.Add(e.GetProperty("id").GetInt64());
                Assert.Equal(name, e.GetProperty("name").GetString());
            }

            token = page.TryGetProperty("next_page_token", out var t) ? t.GetString() : null;
        }
        while (token is not null);

        Assert.Equal(["registered_model.created", "model_version.created", "model_version_alias.set", "registered_model_tag.set"], types);
        Assert.Equal(ids.Order(), ids);
        (await Server.GetAsync("/api/2.0/strata/registry/events?max_results=0")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Unknown_models_and_versions_are_404_and_missing_fields_400()
    {
        var ghost = "ghost-" + Guid.NewGuid().ToString("N");
        (await Server.PatchAsync(Api + "registered-models/update", new { name = ghost, description = "x" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "registered-models/set-tag", new { name = ghost, key = "k", value = "v" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync(Api + "registered-models/delete-tag", new { name = ghost, key = "k" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "registered-models/alias", new { name = ghost, alias = "a", version = "1" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}registered-models/alias?name={ghost}&alias=a")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        var name = await CreateModelAsync();
        (await Server.PatchAsync(Api + "model-versions/update", new { name, version = "3", description = "x" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"{Api}model-versions/get-download-uri?name={Q(name)}&version=3")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.DeleteAsync(Api + "model-versions/delete-tag", new { name, version = "3", key = "k" })).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "3", stage = "Staging", archive_existing_versions = false }))
            .IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");

        (await Server.GetAsync($"{Api}registered-models/get")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/rename", new { name })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}model-versions/get?name={Q(name)}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/alias", new { name, version = "1" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"/api/2.0/strata/registry/lineage?name={Q(name)}")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "model-versions/transition-stage", new { name, version = "1", stage = "Staging", archive_existing_versions = "maybe" }))
            .IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"{Api}registered-models/no-such-endpoint")).IsError(HttpStatusCode.NotFound, "ENDPOINT_NOT_FOUND");
    }

    [Fact]
    public async Task Model_version_files_download_through_the_ui_route()
    {
        var experimentId = await Server.CreateExperimentAsync();
        var run = await Server.CreateRunAsync(experimentId);
        var runId = run.GetProperty("info").GetProperty("run_id").GetString()!;
        var artifactUri = run.GetProperty("info").GetProperty("artifact_uri").GetString()!;
        Assert.StartsWith("mlflow-artifacts:/", artifactUri);
        var proxyPath = artifactUri["mlflow-artifacts:/".Length..] + "/model/MLmodel";
        using (var put = await Server.Client.PutAsync("/api/2.0/mlflow-artifacts/artifacts/" + proxyPath, new ByteArrayContent("flavors: {}\n"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var name = await CreateModelAsync();
        await CreateVersionAsync(name, $"runs:/{runId}/model");
        using var get = await Server.Client.GetAsync($"/model-versions/get-artifact?name={Q(name)}&version=1&path=MLmodel");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("flavors: {}\n", await get.Content.ReadAsStringAsync());

        (await Server.GetAsync($"/model-versions/get-artifact?name={Q(name)}&version=1&path=missing.txt")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"/model-versions/get-artifact?name={Q(name)}&version=1&path=../../x")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.GetAsync($"/model-versions/get-artifact?name={Q(name)}&version=2&path=MLmodel")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
        (await Server.GetAsync($"/model-versions/get-artifact?name={Q(name)}&version=1")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
    }

    [Fact]
    public async Task Wire_rules_content_type_and_query_delete()
    {
        var name = NewName();
        (await Server.PostAsync(Api + "registered-models/create", $"{{\"name\":\"{name}\"}}", "text/plain")).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");
        (await Server.PostAsync(Api + "registered-models/create", $"{{\"name\":\"{name}\",\"unknown_field\":1}}")).Ok();
        (await Server.DeleteAsync($"{Api}registered-models/delete?name={Q(name)}")).Ok();
        (await Server.GetAsync($"{Ajax}registered-models/get?name={Q(name)}")).IsError(HttpStatusCode.NotFound, "RESOURCE_DOES_NOT_EXIST");
    }

    /// <summary>
    /// The requests MLflow 3.5's register_prompt / load_prompt / set_prompt_alias / search_prompts send, with their
    /// bodies written out: prompts are registered models and versions carrying the prompt tags.
    /// </summary>
    [Fact]
    public async Task Prompt_registry_as_mlflow3_drives_it()
    {
        var name = "prompt-" + Guid.NewGuid().ToString("N")[..12];
        const string template = "Answer {{ question }} in {{style}} style.\n\t\"quoted\" ünïcode ✓   ";
        (await Server.PostAsync(Api + "registered-models/create", $$"""
            {"name": "{{name}}", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "team", "value": "nlp"}], "description": "first"}
            """)).Ok();
        var created = (await Server.PostAsync(Api + "model-versions/create", new
        {
            name,
            source = "dummy-source",
            description = "first",
            tags = new[]
            {
                new { key = "mlflow.prompt.is_prompt", value = "true" },
                new { key = "mlflow.prompt.text", value = template },
                new { key = "_mlflow_prompt_type", value = "text" },
            },
        })).Ok().GetProperty("model_version");
        Assert.Equal("1", created.GetProperty("version").GetString());
        Assert.Equal("dummy-source", created.GetProperty("source").GetString());

        // The same source on a model (no prompt tag) is still refused.
        var model = await CreateModelAsync();
        (await Server.PostAsync(Api + "model-versions/create", new { name = model, source = "dummy-source" })).IsError(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE");

        (await Server.PostAsync(Api + "registered-models/alias", new { name, alias = "production", version = "1" })).Ok();
        var byAlias = (await Server.GetAsync($"{Api}registered-models/alias?name={Q(name)}&alias=production")).Ok().GetProperty("model_version");
        var text = byAlias.List("tags").Single(t => t.GetProperty("key").GetString() == "mlflow.prompt.text").GetProperty("value").GetString();
        Assert.Equal(template, text);

        var prompts = (await Server.GetAsync($"{Api}registered-models/search?filter={Q($"tags.`mlflow.prompt.is_prompt` = 'true' AND name = '{name}'")}")).Ok();
        Assert.Equal([name], prompts.List("registered_models").Select(m => m.GetProperty("name").GetString()));
        var models = (await Server.GetAsync($"{Api}registered-models/search?filter={Q($"name = '{name}' AND tag.`mlflow.prompt.is_prompt` != 'true'")}")).Ok();
        Assert.Empty(models.List("registered_models"));
        var plainModel = (await Server.GetAsync($"{Api}registered-models/search?filter={Q($"name = '{model}' AND tag.`mlflow.prompt.is_prompt` != 'true'")}")).Ok();
        Assert.Equal([model], plainModel.List("registered_models").Select(m => m.GetProperty("name").GetString()));
        var versions = (await Server.GetAsync($"{Api}model-versions/search?filter={Q($"name = '{name}'")}")).Ok();
        Assert.Empty(versions.List("model_versions"));
    }
}
