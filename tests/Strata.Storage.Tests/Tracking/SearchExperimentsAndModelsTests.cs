using Strata.Core.Errors;
using Strata.Core.Search;
using Strata.Core.Tracking;
using static Strata.Storage.Tests.Tracking.SearchTestSyntax;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteSearchExperimentsAndModelsTests(SqliteDatabaseFixture fixture) : SearchExperimentsAndModelsTests<SqliteDatabaseFixture>(fixture);

/// <summary>experiments/search and logged-models/search. Each test uses its own name prefix or experiment.</summary>
public abstract class SearchExperimentsAndModelsTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private async Task<List<string>> ExperimentNamesAsync(string prefix, IReadOnlyList<Comparison>? filter = null, IReadOnlyList<OrderTerm>? order = null, ViewType view = ViewType.ACTIVE_ONLY)
    {
        var all = new List<Comparison> { Where(KeyKind.Attribute, "name", Comparator.Like, S(prefix + "%")) };
        all.AddRange(filter ?? []);
        var page = await Store.SearchExperimentsAsync(new ExperimentQuery(all, order ?? [], view, 1000, null), Ct);
        return page.Items.Select(e => e.Name[(prefix.Length + 1)..]).ToList();
    }

    private async Task<string> SeedExperimentsAsync()
    {
        var prefix = UniqueName("pfx");
        await CreateExperimentAsync(prefix + "-b", creationTime: 300, tags: [new("team", "core")]);
        await CreateExperimentAsync(prefix + "-a", creationTime: 100, tags: [new("team", "Core")]);
        await CreateExperimentAsync(prefix + "-c", creationTime: 200);
        var gone = await CreateExperimentAsync(prefix + "-d", creationTime: 300);
        await Store.DeleteExperimentAsync(gone, 400, Ct);
        return prefix;
    }

    [Fact]
    public async Task Experiment_filters_views_and_default_order()
    {
        var prefix = await SeedExperimentsAsync();
        Assert.Equal(["b", "c", "a"], await ExperimentNamesAsync(prefix));
        Assert.Equal(["d"], await ExperimentNamesAsync(prefix, view: ViewType.DELETED_ONLY));
        Assert.Equal(4, (await ExperimentNamesAsync(prefix, view: ViewType.ALL)).Count);
        Assert.Equal(["b"], await ExperimentNamesAsync(prefix, [Where(KeyKind.Tag, "team", Comparator.Equal, S("core"))]));
        Assert.Equal(["b", "a"], await ExperimentNamesAsync(prefix, [Where(KeyKind.Tag, "team", Comparator.ILike, S("CORE"))]));
        Assert.Equal(["c", "a"], await ExperimentNamesAsync(prefix, [Where(KeyKind.Attribute, "creation_time", Comparator.Less, N(300))]));
        Assert.Equal(["a"], await ExperimentNamesAsync(prefix, [Where(KeyKind.Attribute, "name", Comparator.Equal, S(prefix + "-a"))]));
        Assert.Empty(await ExperimentNamesAsync(prefix, [Where(KeyKind.Attribute, "name", Comparator.Like, S(prefix.ToUpperInvariant() + "%"))]));
        await Assert.ThrowsAsync<MlflowException>(() => ExperimentNamesAsync(prefix, [Where(KeyKind.Metric, "m", Comparator.Equal, N(1))]));
    }

    [Fact]
    public async Task Experiment_order_by_appends_id_desc_and_pages()
    {
        var prefix = UniqueName("pg");
        var ids = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            ids.Add(await CreateExperimentAsync($"{prefix}-{i}", creationTime: i % 3));
        }

        var byTime = await ExperimentNamesAsync(prefix, order: [By(KeyKind.Attribute, "creation_time")]);
        // Equal creation times fall back to experiment_id DESC: later-created first.
        Assert.Equal(["6", "3", "0", "7", "4", "1", "8", "5", "2"], byTime);
        Assert.Equal(["8", "7", "6", "5", "4", "3", "2", "1", "0"], await ExperimentNamesAsync(prefix, order: [By(KeyKind.Attribute, "name", false)]));
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8"], await ExperimentNamesAsync(prefix, order: [By(KeyKind.Attribute, "experiment_id")]));

        var filter = new List<Comparison> { Where(KeyKind.Attribute, "name", Comparator.Like, S(prefix + "%")) };
        var walked = new List<string>();
        string? token = null;
        do
        {
            var page = await Store.SearchExperimentsAsync(new ExperimentQuery(filter, [By(KeyKind.Attribute, "creation_time")], ViewType.ALL, 4, token), Ct);
            walked.AddRange(page.Items.Select(e => e.Name[(prefix.Length + 1)..]));
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(byTime, walked);
        var bad = await Assert.ThrowsAsync<MlflowException>(() => Store.SearchExperimentsAsync(new ExperimentQuery(filter, [], ViewType.ALL, 4, "%%%"), Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, bad.Code);
    }

    [Fact]
    public async Task Experiment_search_under_a_read_scope_holds_only_readable_experiments()
    {
        var prefix = UniqueName("scope");
        var a = await CreateExperimentAsync(prefix + "-a", creationTime: 100);
        var b = await CreateExperimentAsync(prefix + "-b", creationTime: 200);
        await CreateExperimentAsync(prefix + "-c", creationTime: 300);
        var filter = new List<Comparison> { Where(KeyKind.Attribute, "name", Comparator.Like, S(prefix + "%")) };

        async Task<List<string>> NamesAsync(Core.Auth.ReadScope scope, int pageSize = 1000)
        {
            var names = new List<string>();
            string? token = null;
            do
            {
                var page = await Store.SearchExperimentsAsync(new ExperimentQuery(filter, [], ViewType.ACTIVE_ONLY, pageSize, token, scope), Ct);
                names.AddRange(page.Items.Select(e => e.Name[(prefix.Length + 1)..]));
                token = page.NextPageToken;
            }
            while (token is not null);
            return names;
        }

        // Readable only where granted (default NO_PERMISSIONS), and readable except where denied (default READ).
        Assert.Equal(["b", "a"], await NamesAsync(new(false, [a, b])));
        Assert.Equal(["b"], await NamesAsync(new(false, [b]), pageSize: 1));
        Assert.Empty(await NamesAsync(new(false, [])));
        Assert.Equal(["c", "a"], await NamesAsync(new(true, [b])));
        Assert.Equal(["c", "b", "a"], await NamesAsync(new(true, []), pageSize: 2));
    }

    private async Task<(string Exp, List<string> Ids)> SeedModelsAsync()
    {
        var exp = await CreateExperimentAsync();
        var run = (await CreateRunAsync(exp)).Info.RunId;
        var ids = new List<string>();
        var accs = new double?[] { 0.7, 0.9, double.NaN, null };
        for (var i = 0; i < accs.Length; i++)
        {
            var id = $"m-{i}{Guid.NewGuid():N}"[..34];
            ids.Add(id);
            await Store.CreateLoggedModelAsync(new NewLoggedModel(id, exp, "model-" + i, i % 2 == 0 ? "sklearn" : null, run, "alice",
                [new("alpha", i.ToString(System.Globalization.CultureInfo.InvariantCulture))], [new("stage", i < 2 ? "dev" : "prod")], 1000 + i), Ct);
            if (accs[i] is { } acc)
            {
                // An older, larger point first: the latest (higher step) decides.
                await Store.LogBatchAsync(run, [new Metric("acc", 100, 1, 0, ModelId: id), new Metric("acc", acc, 2, 1, ModelId: id)], [], [], Ct);
            }
        }

        await Store.FinalizeLoggedModelAsync(ids[1], LoggedModelStatus.LOGGED_MODEL_READY, 5000, Ct);
        return (exp, ids);
    }

    private async Task<List<string>> ModelNamesAsync(string exp, IReadOnlyList<Comparison>? filter = null, IReadOnlyList<OrderTerm>? order = null)
    {
        var page = await Store.SearchLoggedModelsAsync(new LoggedModelQuery([exp], filter ?? [], order ?? [], 100, null), Ct);
        return page.Items.Select(m => m.Info.Name).ToList();
    }

    [Fact]
    public async Task Logged_model_filters_on_latest_metric_params_tags_and_attributes()
    {
        var (exp, ids) = await SeedModelsAsync();
        Assert.Equal(["model-3", "model-2", "model-1", "model-0"], await ModelNamesAsync(exp));
        Assert.Equal(["model-1"], await ModelNamesAsync(exp, [Where(KeyKind.Metric, "acc", Comparator.Greater, N(0.8))]));
        Assert.Equal(["model-1", "model-0"], await ModelNamesAsync(exp, [Where(KeyKind.Metric, "acc", Comparator.Less, N(50))]));
        Assert.Equal(["model-0"], await ModelNamesAsync(exp, [Where(KeyKind.Param, "alpha", Comparator.Equal, S("0"))]));
        Assert.Equal(["model-3", "model-2"], await ModelNamesAsync(exp, [Where(KeyKind.Tag, "stage", Comparator.Equal, S("prod"))]));
        Assert.Equal(["model-1"], await ModelNamesAsync(exp, [Where(KeyKind.Attribute, "status", Comparator.Equal, S("READY"))]));
        Assert.Equal(["model-1"], await ModelNamesAsync(exp, [Where(KeyKind.Attribute, "status", Comparator.Equal, S("LOGGED_MODEL_READY"))]));
        Assert.Equal(["model-2", "model-0"], await ModelNamesAsync(exp, [Where(KeyKind.Attribute, "model_type", Comparator.Equal, S("sklearn"))]));
        Assert.Equal(["model-3"], await ModelNamesAsync(exp, [Where(KeyKind.Attribute, "creation_timestamp", Comparator.GreaterOrEqual, N(1003))]));
        Assert.Equal(["model-2"], await ModelNamesAsync(exp, [Where(KeyKind.Attribute, "model_id", Comparator.Equal, S(ids[2]))]));
        Assert.Equal(["model-1"], await ModelNamesAsync(exp, [Where(KeyKind.Attribute, "name", Comparator.Like, S("%-1"))]));
    }

    [Fact]
    public async Task Logged_model_metric_order_and_paging()
    {
        var (exp, _) = await SeedModelsAsync();
        Assert.Equal(["model-0", "model-1", "model-2", "model-3"], await ModelNamesAsync(exp, order: [By(KeyKind.Metric, "acc")]));
        Assert.Equal(["model-1", "model-0", "model-2", "model-3"], await ModelNamesAsync(exp, order: [By(KeyKind.Metric, "acc", false)]));
        Assert.Equal(["model-0", "model-1", "model-2", "model-3"], await ModelNamesAsync(exp, order: [By(KeyKind.Attribute, "creation_timestamp")]));

        var walked = new List<string>();
        string? token = null;
        do
        {
            var page = await Store.SearchLoggedModelsAsync(new LoggedModelQuery([exp], [], [By(KeyKind.Metric, "acc", false)], 3, token), Ct);
            walked.AddRange(page.Items.Select(m => m.Info.Name));
            token = page.NextPageToken;
        }
        while (token is not null);

        Assert.Equal(["model-1", "model-0", "model-2", "model-3"], walked);
        Assert.Empty((await Store.SearchLoggedModelsAsync(new LoggedModelQuery([], [], [], 3, null), Ct)).Items);
    }
    [Fact]
    public async Task Logged_model_metric_filter_and_order_restricted_to_datasets()
    {
        var exp = await CreateExperimentAsync();
        var run = (await CreateRunAsync(exp)).Info.RunId;
        // (eval, train) accuracy per model; model-b has no eval point at all.
        var points = new (string Name, double? Eval, double Train)[] { ("model-a", 0.9, 0.1), ("model-b", null, 0.95), ("model-c", 0.5, 0.6) };
        foreach (var (name, eval, train) in points)
        {
            var id = $"m-{Guid.NewGuid():N}";
            await Store.CreateLoggedModelAsync(new NewLoggedModel(id, exp, name, null, run, "alice", [], [], 1000), Ct);
            var metrics = new List<Metric> { new("acc", train, 1, 0, ModelId: id, DatasetName: "train", DatasetDigest: "t1") };
            if (eval is { } e)
            {
                // The latest point overall is the train one (step 5); per dataset, eval's own latest counts.
                metrics.Add(new Metric("acc", e, 1, 0, ModelId: id, DatasetName: "eval", DatasetDigest: "e1"));
                metrics[0] = metrics[0] with { Step = 5 };
            }

            await Store.LogBatchAsync(run, metrics, [], [], Ct);
        }

        async Task<List<string>> Names(IReadOnlyList<Comparison> filter, IReadOnlyList<OrderTerm> order, IReadOnlyList<DatasetRef>? datasets = null, IReadOnlyList<DatasetRef?>? orderDatasets = null) =>
            (await Store.SearchLoggedModelsAsync(new LoggedModelQuery([exp], filter, order, 100, null, datasets, orderDatasets), Ct)).Items.Select(m => m.Info.Name).ToList();

        var over = new[] { Where(KeyKind.Metric, "acc", Comparator.Greater, N(0.4)) };
        Assert.Equal(["model-c", "model-b"], await Names(over, [By(KeyKind.Attribute, "name", false)]));
        Assert.Equal(["model-c", "model-a"], await Names(over, [By(KeyKind.Attribute, "name", false)], [new DatasetRef("eval", null)]));
        Assert.Equal(["model-c", "model-a"], await Names(over, [By(KeyKind.Attribute, "name", false)], [new DatasetRef("eval", "e1")]));
        Assert.Empty(await Names(over, [], [new DatasetRef("eval", "other-digest")]));
        Assert.Equal(["model-c", "model-b"], await Names(over, [By(KeyKind.Attribute, "name", false)], [new DatasetRef("nope", null), new DatasetRef("train", "t1")]));

        // Ordered by eval accuracy: models without an eval point last.
        Assert.Equal(["model-a", "model-c", "model-b"], await Names([], [By(KeyKind.Metric, "acc", false)], orderDatasets: [new DatasetRef("eval", null)]));
        Assert.Equal(["model-b", "model-c", "model-a"], await Names([], [By(KeyKind.Metric, "acc", false)], orderDatasets: [new DatasetRef("train", "t1")]));
        Assert.Equal(["model-b", "model-c", "model-a"], await Names([], [By(KeyKind.Metric, "acc", false)]));
    }
}
