using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Search;
using Strata.Core.Tracking;

namespace Strata.Storage.Tests.Registry;

/// <summary>Runs on SQLite; the PostgreSQL subclass runs the same tests there.</summary>
public class RegistrySearchTests : IAsyncLifetime
{
    private RegistryFixture _f = null!;

    private RegistryService S => _f.Service;

    public async Task InitializeAsync()
    {
        _f = await CreateFixtureAsync();
        // Created in this order, so last_updated grows: beta < alpha < Alpha2 < prompt (then versions bump them).
        await S.CreateRegisteredModelAsync("beta", [new KeyValue("team", "Risk")], null, null, null, default);
        await S.CreateRegisteredModelAsync("alpha", [new KeyValue("team", "fraud"), new KeyValue("my-tag", "x")], null, null, null, default);
        await S.CreateRegisteredModelAsync("Alpha2", [new KeyValue("team", "FRAUD")], null, null, null, default);
        await S.CreateRegisteredModelAsync("prompt", [new KeyValue("mlflow.prompt.is_prompt", "true")], null, null, null, default);
        await S.CreateModelVersionAsync("alpha", "s3://b/alpha/1", "run-a", [new KeyValue("stage", "dev")], null, null, null, null, default);
        await S.CreateModelVersionAsync("alpha", "s3://b/alpha/2", "run-b", [new KeyValue("stage", "prod")], null, null, null, null, default);
        await S.CreateModelVersionAsync("beta", "s3://b/beta/1", "run-a", null, null, null, null, null, default);
        await S.CreateModelVersionAsync("Alpha2", "gs://other/x", null, null, null, null, null, null, default);
        await S.CreateModelVersionAsync("prompt", "dummy-source", null, [new KeyValue("mlflow.prompt.is_prompt", "true"), new KeyValue("mlflow.prompt.associated_run_ids", "run-p1,run-p2")], null, null, null, null, default);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private protected virtual Task<RegistryFixture> CreateFixtureAsync() => RegistryFixture.CreateAsync();

    private async Task<string[]> Models(string? filter, params string[] orderBy) =>
        (await S.SearchRegisteredModelsAsync(filter, orderBy, null, null, default)).Items.Select(m => m.Name).ToArray();

    private async Task<string[]> Versions(string? filter, params string[] orderBy) =>
        (await S.SearchModelVersionsAsync(filter, orderBy, null, null, default)).Items.Select(v => $"{v.Name}/{v.Version}").ToArray();

    [Fact]
    public async Task Registered_models_default_order_is_name_ascending_without_prompts() =>
        Assert.Equal(["Alpha2", "alpha", "beta"], await Models(null));

    [Theory]
    [InlineData("name = 'alpha'", new[] { "alpha" })]
    [InlineData("name != 'alpha'", new[] { "Alpha2", "beta" })]
    [InlineData("name LIKE 'alpha%'", new[] { "alpha" })]
    [InlineData("name LIKE 'Alpha%'", new[] { "Alpha2" })]
    [InlineData("name ILIKE 'alpha%'", new[] { "Alpha2", "alpha" })]
    [InlineData("name LIKE '_eta'", new[] { "beta" })]
    [InlineData("name = 'alph'", new string[0])]
    [InlineData("tags.team = 'fraud'", new[] { "alpha" })]
    [InlineData("tags.team ILIKE 'FRAUD'", new[] { "Alpha2", "alpha" })]
    [InlineData("tags.team != 'fraud'", new[] { "Alpha2", "beta" })]
    [InlineData("tags.`my-tag` = 'x' AND name = 'alpha'", new[] { "alpha" })]
    [InlineData("tags.missing != 'x'", new string[0])]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'true'", new[] { "prompt" })]
    public async Task Registered_model_filters(string filter, string[] expected) =>
        Assert.Equal(expected, await Models(filter));

    // The exact strings MLflow 3.5 clients send: search_registered_models appends the prompt exclusion (with the
    // singular "tag." prefix), search_prompts prepends the prompt selection. A clause on the prompt tag is MLflow's
    // switch between prompts and models, not a tag comparison: models without the tag are kept.
    [Theory]
    [InlineData("tag.`mlflow.prompt.is_prompt` != 'true'", new[] { "Alpha2", "alpha", "beta" })]
    [InlineData("name LIKE 'alpha%' AND tag.`mlflow.prompt.is_prompt` != 'true'", new[] { "alpha" })]
    [InlineData("tags.team = 'fraud' AND tag.`mlflow.prompt.is_prompt` != 'true'", new[] { "alpha" })]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'false'", new[] { "Alpha2", "alpha", "beta" })]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'true' AND name LIKE 'pro%'", new[] { "prompt" })]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'TRUE'", new string[0])] // asks for prompts; the value comparison stays exact
    [InlineData("tags.`mlflow.prompt.is_prompt` != 'false'", new[] { "prompt" })]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'true' AND name = 'alpha'", new string[0])]
    public async Task Registered_model_prompt_filters_as_mlflow3_sends_them(string filter, string[] expected) =>
        Assert.Equal(expected, await Models(filter));

    [Fact]
    public async Task Searches_under_a_read_scope_hold_only_readable_models_and_their_versions()
    {
        async Task<string[]> ModelsIn(Core.Auth.ReadScope scope) =>
            (await S.SearchRegisteredModelsAsync((string?)null, null, null, null, default, scope)).Items.Select(m => m.Name).ToArray();
        async Task<string[]> VersionsIn(Core.Auth.ReadScope scope) =>
            (await S.SearchModelVersionsAsync((string?)null, null, null, null, default, scope)).Items.Select(v => $"{v.Name}/{v.Version}").OrderBy(v => v, StringComparer.Ordinal).ToArray();

        // Readable only where granted (default NO_PERMISSIONS), and readable except where denied (default READ).
        Assert.Equal(["alpha", "beta"], await ModelsIn(new(false, ["alpha", "beta"])));
        Assert.Empty(await ModelsIn(new(false, [])));
        Assert.Equal(["Alpha2", "beta"], await ModelsIn(new(true, ["alpha"])));
        Assert.Equal(["alpha/1", "alpha/2"], await VersionsIn(new(false, ["alpha"])));
        Assert.Empty(await VersionsIn(new(false, [])));
        Assert.Equal(["Alpha2/1", "beta/1"], await VersionsIn(new(true, ["alpha"])));
    }

    [Fact]
    public async Task Registered_model_orders()
    {
        Assert.Equal(["beta", "alpha", "Alpha2"], await Models(null, "name DESC"));
        // Versions bumped last_updated: alpha (2nd version) after beta after Alpha2.
        Assert.Equal(["alpha", "beta", "Alpha2"], await Models(null, "last_updated_timestamp"));
        Assert.Equal(["Alpha2", "beta", "alpha"], await Models(null, "timestamp DESC"));
    }

    [Fact]
    public async Task Registered_models_carry_latest_versions_tags_and_aliases()
    {
        await S.SetAliasAsync("alpha", "champ", "1", null, default);
        var alpha = Assert.Single((await S.SearchRegisteredModelsAsync("name = 'alpha'", null, null, null, default)).Items);
        Assert.Equal(2, Assert.Single(alpha.LatestVersions).Version);
        Assert.Equal(2, alpha.Tags.Count);
        Assert.Equal([new RegisteredModelAlias("champ", 1)], alpha.Aliases);
    }

    [Fact]
    public async Task Registered_model_paging_tokens()
    {
        var first = await S.SearchRegisteredModelsAsync((string?)null, null, 2, null, default);
        Assert.Equal(["Alpha2", "alpha"], first.Items.Select(m => m.Name));
        Assert.NotNull(first.NextPageToken);
        var second = await S.SearchRegisteredModelsAsync((string?)null, null, 2, first.NextPageToken, default);
        Assert.Equal(["beta"], second.Items.Select(m => m.Name));
        Assert.Null(second.NextPageToken);
        var exact = await S.SearchRegisteredModelsAsync((string?)null, null, 3, null, default);
        Assert.Null(exact.NextPageToken);
    }

    [Theory]
    [InlineData("name = alpha")]
    [InlineData("version_number = 1")]
    [InlineData("params.x = 'y'")]
    [InlineData("name > 'a'")]
    [InlineData("name = 'a' OR name = 'b'")]
    public async Task Registered_model_grammar_errors_are_400(string filter) =>
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => S.SearchRegisteredModelsAsync(filter, null, null, null, default))).Code);

    [Fact]
    public async Task Registered_model_bounds_and_bad_tokens_are_400()
    {
        async Task<ErrorCode> Code(Func<Task> f) => (await Assert.ThrowsAsync<MlflowException>(f)).Code;
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await Code(() => S.SearchRegisteredModelsAsync((string?)null, null, 1001, null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await Code(() => S.SearchRegisteredModelsAsync((string?)null, null, 0, null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await Code(() => S.SearchRegisteredModelsAsync((string?)null, null, null, "not-a-token", default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await Code(() => S.SearchRegisteredModelsAsync((string?)null, ["version_number"], null, null, default)));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, await Code(() => S.SearchModelVersionsAsync((string?)null, null, 200_001, null, default)));
    }

    [Fact]
    public async Task Model_versions_default_order_is_last_updated_desc_then_name_then_version_desc() =>
        Assert.Equal(["Alpha2/1", "beta/1", "alpha/2", "alpha/1"], await Versions(null));

    [Theory]
    [InlineData("name = 'alpha'", new[] { "alpha/2", "alpha/1" })]
    [InlineData("name ILIKE 'ALPHA%'", new[] { "Alpha2/1", "alpha/2", "alpha/1" })]
    [InlineData("run_id = 'run-a'", new[] { "beta/1", "alpha/1" })]
    [InlineData("run_id IN ('run-a', 'run-b')", new[] { "beta/1", "alpha/2", "alpha/1" })]
    [InlineData("run_id != 'run-a'", new[] { "alpha/2" })]
    [InlineData("source_path LIKE 's3://b/alpha/%'", new[] { "alpha/2", "alpha/1" })]
    [InlineData("source_path = 'gs://other/x'", new[] { "Alpha2/1" })]
    [InlineData("version_number > 1", new[] { "alpha/2" })]
    [InlineData("version_number <= 1 AND name = 'alpha'", new[] { "alpha/1" })]
    [InlineData("tags.stage = 'prod'", new[] { "alpha/2" })]
    [InlineData("tags.stage LIKE '%d%'", new[] { "alpha/2", "alpha/1" })]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'true'", new[] { "prompt/1" })]
    public async Task Model_version_filters(string filter, string[] expected) =>
        Assert.Equal(expected, await Versions(filter));

    [Theory]
    [InlineData("name = 'prompt'", new string[0])]
    [InlineData("name = 'alpha' AND tag.`mlflow.prompt.is_prompt` != 'true'", new[] { "alpha/2", "alpha/1" })]
    [InlineData("tags.`mlflow.prompt.is_prompt` = 'false'", new[] { "Alpha2/1", "beta/1", "alpha/2", "alpha/1" })]
    [InlineData("tags.`mlflow.prompt.associated_run_ids` LIKE '%run-p2%' AND tags.`mlflow.prompt.is_prompt` = 'true'", new[] { "prompt/1" })]
    [InlineData("tags.`mlflow.prompt.associated_run_ids` LIKE '%run-p3%' AND tags.`mlflow.prompt.is_prompt` = 'true'", new string[0])]
    [InlineData("name = 'prompt' AND tags.`mlflow.prompt.is_prompt` = 'true'", new[] { "prompt/1" })]
    public async Task Model_version_prompt_filters_as_mlflow3_sends_them(string filter, string[] expected) =>
        Assert.Equal(expected, await Versions(filter));

    [Fact]
    public async Task Model_version_orders_and_tie_breaks()
    {
        Assert.Equal(["Alpha2/1", "alpha/1", "beta/1", "alpha/2"], await Versions(null, "version_number ASC"));
        Assert.Equal(["Alpha2/1", "alpha/2", "alpha/1", "beta/1"], await Versions(null, "name"));
        Assert.Equal(["alpha/1", "alpha/2", "beta/1", "Alpha2/1"], await Versions(null, "creation_timestamp"));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => Versions(null, "source_path"))).Code);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => Versions("version_number = '1'"))).Code);
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, (await Assert.ThrowsAsync<MlflowException>(() => Versions("name IN ('a')"))).Code);
    }

    [Fact]
    public async Task Model_version_paging_walks_every_row_once()
    {
        var seen = new List<string>();
        string? token = null;
        do
        {
            var page = await S.SearchModelVersionsAsync((string?)null, null, 1, token, default);
            seen.AddRange(page.Items.Select(v => $"{v.Name}/{v.Version}"));
            token = page.NextPageToken;
        }
        while (token is not null);
        Assert.Equal(["Alpha2/1", "beta/1", "alpha/2", "alpha/1"], seen);
    }

    [Fact]
    public async Task Hand_built_ast_reaches_the_same_sql()
    {
        var filter = new[] { new Comparison(new SearchKey(KeyKind.Attribute, "version_number"), Comparator.GreaterOrEqual, new NumberValue(2, "2")) };
        var order = new[] { new OrderTerm(new SearchKey(KeyKind.Attribute, "name"), true) };
        var page = await S.SearchModelVersionsAsync(filter, order, null, null, default);
        Assert.Equal(["alpha/2"], page.Items.Select(v => $"{v.Name}/{v.Version}"));
    }
}
