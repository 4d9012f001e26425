using Strata.Core.Errors;
using Strata.Core.Search;
using Strata.Core.Tracking;
using static Strata.Storage.Tests.Tracking.SearchTestSyntax;

namespace Strata.Storage.Tests.Tracking;

public sealed class SqliteSearchRunsTests(SqliteDatabaseFixture fixture) : SearchRunsTests<SqliteDatabaseFixture>(fixture);

public abstract class SearchRunsTests<TFixture>(TFixture fixture) : TrackingTestBase<TFixture>(fixture)
    where TFixture : class, IDatabaseFixture
{
    private async Task<List<string>> NamesAsync(string exp, IReadOnlyList<Comparison>? filter = null, IReadOnlyList<OrderTerm>? order = null, ViewType view = ViewType.ACTIVE_ONLY)
    {
        var page = await Store.SearchRunsAsync(new RunQuery([exp], filter ?? [], order ?? [], view, 1000, null), Ct);
        Assert.Null(page.NextPageToken);
        return page.Items.Select(r => r.Info.RunName).ToList();
    }

    private static List<string> Sorted(IEnumerable<string> names) => names.Order(StringComparer.Ordinal).ToList();

    /// <summary>Runs a..e: metric m = 1, 2, 3, NaN and missing; params and tags on some.</summary>
    private async Task<string> SeedAsync()
    {
        var exp = await CreateExperimentAsync();
        var values = new double?[] { 1, 2, 3, double.NaN, null };
        for (var i = 0; i < values.Length; i++)
        {
            var run = await CreateRunAsync(exp, ((char)('a' + i)).ToString(), startTime: 100 + i);
            if (values[i] is { } v)
            {
                await LogMetricAsync(run.Info.RunId, "m", v);
            }

            if (i < 3)
            {
                await Store.LogBatchAsync(run.Info.RunId, [], [new("model", i == 0 ? "Alpha" : "alpha-" + i)], [new("team", i % 2 == 0 ? "x" : "y")], Ct);
            }
        }

        return exp;
    }

    [Fact]
    public async Task Metric_comparators_never_match_nan_or_missing()
    {
        var exp = await SeedAsync();
        Assert.Equal(["b", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.Greater, N(1))])));
        Assert.Equal(["a", "b", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.GreaterOrEqual, N(1))])));
        Assert.Equal(["a"], Sorted(await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.Less, N(2))])));
        Assert.Equal(["a", "b"], Sorted(await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.LessOrEqual, N(2))])));
        Assert.Equal(["b"], Sorted(await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.Equal, N(2))])));
        Assert.Equal(["a", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.NotEqual, N(2))])));
        Assert.Empty(await NamesAsync(exp, [Where(KeyKind.Metric, "absent", Comparator.NotEqual, N(2))]));
    }

    [Fact]
    public async Task Infinity_is_compared_as_a_number()
    {
        var exp = await CreateExperimentAsync();
        var run = await CreateRunAsync(exp, "inf");
        await LogMetricAsync(run.Info.RunId, "m", double.PositiveInfinity);
        Assert.Equal(["inf"], await NamesAsync(exp, [Where(KeyKind.Metric, "m", Comparator.Greater, N(1e300))]));
    }

    [Fact]
    public async Task Params_and_tags_compare_strings_and_like_is_case_sensitive()
    {
        var exp = await SeedAsync();
        Assert.Equal(["a"], await NamesAsync(exp, [Where(KeyKind.Param, "model", Comparator.Equal, S("Alpha"))]));
        Assert.Equal(["b", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Param, "model", Comparator.NotEqual, S("Alpha"))])));
        Assert.Equal(["b", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Param, "model", Comparator.Like, S("alpha%"))])));
        Assert.Equal(["a"], Sorted(await NamesAsync(exp, [Where(KeyKind.Param, "model", Comparator.Like, S("Al_ha"))])));
        Assert.Equal(["a", "b", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Param, "model", Comparator.ILike, S("ALPHA%"))])));
        Assert.Empty(await NamesAsync(exp, [Where(KeyKind.Param, "model", Comparator.Like, S("ALPHA%"))]));
        Assert.Equal(["a", "c"], Sorted(await NamesAsync(exp, [Where(KeyKind.Tag, "team", Comparator.Equal, S("x"))])));
        Assert.Equal(["b"], Sorted(await NamesAsync(exp,
            [Where(KeyKind.Tag, "team", Comparator.NotEqual, S("x")), Where(KeyKind.Metric, "m", Comparator.Greater, N(0))])));
    }

    [Fact]
    public async Task Like_treats_glob_characters_literally()
    {
        var exp = await CreateExperimentAsync();
        foreach (var (name, value) in new[] { ("star", "a*b"), ("plain", "axb"), ("bracket", "[x]"), ("q", "a?c") })
        {
            var run = await CreateRunAsync(exp, name);
            await Store.LogBatchAsync(run.Info.RunId, [], [new("p", value)], [], Ct);
        }

        Assert.Equal(["star"], await NamesAsync(exp, [Where(KeyKind.Param, "p", Comparator.Like, S("a*b"))]));
        Assert.Equal(["plain", "star"], Sorted(await NamesAsync(exp, [Where(KeyKind.Param, "p", Comparator.Like, S("a_b"))])));
        Assert.Equal(["bracket"], await NamesAsync(exp, [Where(KeyKind.Param, "p", Comparator.Like, S("[x%"))]));
        Assert.Equal(["q"], await NamesAsync(exp, [Where(KeyKind.Param, "p", Comparator.Like, S("a?c"))]));
        Assert.Equal(["q"], await NamesAsync(exp, [Where(KeyKind.Param, "p", Comparator.ILike, S("A?C"))]));
    }

    [Fact]
    public async Task Attributes_run_name_status_user_times_and_run_id_lists()
    {
        var exp = await CreateExperimentAsync();
        var a = await CreateRunAsync(exp, "first-run", startTime: 10, user: "ann");
        var b = await CreateRunAsync(exp, "second-run", startTime: 20, user: "bob");
        await Store.UpdateRunAsync(b.Info.RunId, RunStatus.FINISHED, 30, null, Ct);

        Assert.Equal(["first-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "run_name", Comparator.Equal, S("first-run"))]));
        Assert.Equal(["second-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "run_name", Comparator.ILike, S("SECOND%"))]));
        Assert.Equal(["second-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "status", Comparator.Equal, S("FINISHED"))]));
        Assert.Equal(["first-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "user_id", Comparator.NotEqual, S("bob"))]));
        Assert.Equal(["second-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "start_time", Comparator.Greater, N(10))]));
        Assert.Equal(["first-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "start_time", Comparator.LessOrEqual, N(10))]));
        Assert.Equal(["second-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "end_time", Comparator.Equal, N(30))]));
        Assert.Equal(["second-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "end_time", Comparator.NotEqual, N(1))]));
        Assert.Equal(["first-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "run_id", Comparator.In, L(a.Info.RunId, b.Info.RunId.ToUpperInvariant()))]));
        Assert.Equal(["second-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "run_id", Comparator.NotIn, L(a.Info.RunId))]));
        Assert.Equal(["first-run"], await NamesAsync(exp, [Where(KeyKind.Attribute, "run_id", Comparator.Equal, S(a.Info.RunId))]));
        await Assert.ThrowsAsync<MlflowException>(() => NamesAsync(exp, [Where(KeyKind.Attribute, "status", Comparator.In, L("FINISHED"))]));
        await Assert.ThrowsAsync<MlflowException>(() => NamesAsync(exp, [Where(KeyKind.Attribute, "nope", Comparator.Equal, S("x"))]));
    }

    [Fact]
    public async Task Datasets_match_any_input_of_the_run()
    {
        var exp = await CreateExperimentAsync();
        var a = await CreateRunAsync(exp, "a");
        var b = await CreateRunAsync(exp, "b");
        await CreateRunAsync(exp, "none");
        DatasetInput Input(string name, string digest, string context) =>
            new([new("mlflow.data.context", context)], new Dataset(name, digest, "local", "/x"));
        await Store.LogInputsAsync(a.Info.RunId, [Input("train", "d1", "training"), Input("eval", "d2", "evaluation")], [], Ct);
        await Store.LogInputsAsync(b.Info.RunId, [Input("train", "d3", "training")], [], Ct);

        Assert.Equal(["a", "b"], Sorted(await NamesAsync(exp, [Where(KeyKind.Dataset, "name", Comparator.Equal, S("train"))])));
        Assert.Equal(["a"], await NamesAsync(exp, [Where(KeyKind.Dataset, "name", Comparator.Equal, S("eval"))]));
        Assert.Equal(["a"], await NamesAsync(exp, [Where(KeyKind.Dataset, "name", Comparator.NotEqual, S("train"))]));
        Assert.Equal(["b"], await NamesAsync(exp, [Where(KeyKind.Dataset, "digest", Comparator.In, L("d3", "d9"))]));
        Assert.Equal(["a"], await NamesAsync(exp, [Where(KeyKind.Dataset, "context", Comparator.Like, S("eval%"))]));
        Assert.Equal(["a", "b"], Sorted(await NamesAsync(exp, [Where(KeyKind.Dataset, "context", Comparator.ILike, S("TRAIN%"))])));
    }

    [Fact]
    public async Task Metric_order_puts_nan_after_numbers_and_missing_last_in_both_directions()
    {
        var exp = await SeedAsync();
        Assert.Equal(["a", "b", "c", "d", "e"], await NamesAsync(exp, order: [By(KeyKind.Metric, "m")]));
        Assert.Equal(["c", "b", "a", "d", "e"], await NamesAsync(exp, order: [By(KeyKind.Metric, "m", ascending: false)]));
    }

    [Fact]
    public async Task Param_order_puts_missing_last_and_default_order_is_start_time_desc()
    {
        var exp = await SeedAsync();
        Assert.Equal(["a", "b", "c", "e", "d"], await NamesAsync(exp, order: [By(KeyKind.Param, "model")]));
        Assert.Equal(["c", "b", "a", "e", "d"], await NamesAsync(exp, order: [By(KeyKind.Param, "model", ascending: false)]));
        Assert.Equal(["e", "d", "c", "b", "a"], await NamesAsync(exp));
        Assert.Equal(["a", "b", "c", "d", "e"], await NamesAsync(exp, order: [By(KeyKind.Attribute, "start_time")]));
        Assert.Equal(["a", "b", "c", "d", "e"], await NamesAsync(exp, order: [By(KeyKind.Attribute, "run_name")]));
        Assert.Equal(["c", "a", "b", "e", "d"], await NamesAsync(exp, order: [By(KeyKind.Tag, "team"), By(KeyKind.Attribute, "start_time", false)]));
        Assert.Equal(["b", "c", "a", "e", "d"], await NamesAsync(exp, order: [By(KeyKind.Tag, "team", false)]));
    }

    [Fact]
    public async Task Ties_break_on_start_time_desc_then_run_id_asc()
    {
        var exp = await CreateExperimentAsync();
        var runs = new List<Run>();
        for (var i = 0; i < 6; i++)
        {
            runs.Add(await CreateRunAsync(exp, "r" + i, startTime: i < 3 ? 50 : 60));
        }

        var page = await Store.SearchRunsAsync(new RunQuery([exp], [], [By(KeyKind.Attribute, "status")], ViewType.ACTIVE_ONLY, 100, null), Ct);
        var expected = runs.OrderByDescending(r => r.Info.StartTime).ThenBy(r => r.Info.RunId, StringComparer.Ordinal).Select(r => r.Info.RunId);
        Assert.Equal(expected, page.Items.Select(r => r.Info.RunId));
    }

    [Fact]
    public async Task Pages_walk_every_run_once_with_keyset_tokens()
    {
        var exp = await CreateExperimentAsync();
        var ids = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            var run = await CreateRunAsync(exp, "r" + i, startTime: i % 4);
            ids.Add(run.Info.RunId);
            if (i % 3 != 0)
            {
                await LogMetricAsync(run.Info.RunId, "m", i % 5 == 0 ? double.NaN : i % 7);
            }
        }

        foreach (var order in new IReadOnlyList<OrderTerm>[] { [], [By(KeyKind.Metric, "m")], [By(KeyKind.Metric, "m", false)], [By(KeyKind.Attribute, "end_time")] })
        {
            var all = await Store.SearchRunsAsync(new RunQuery([exp], [], order, ViewType.ALL, 1000, null), Ct);
            Assert.Equal(23, all.Items.Count);
            var walked = new List<string>();
            string? token = null;
            var pages = 0;
            do
            {
                var page = await Store.SearchRunsAsync(new RunQuery([exp], [], order, ViewType.ALL, 5, token), Ct);
                Assert.True(page.Items.Count is > 0 and <= 5);
                walked.AddRange(page.Items.Select(r => r.Info.RunId));
                token = page.NextPageToken;
                pages++;
            }
            while (token is not null);

            Assert.Equal(5, pages);
            Assert.Equal(all.Items.Select(r => r.Info.RunId), walked);
        }

        var exact = await Store.SearchRunsAsync(new RunQuery([exp], [], [], ViewType.ALL, 23, null), Ct);
        Assert.Null(exact.NextPageToken);
    }

    [Fact]
    public async Task Malformed_or_foreign_tokens_are_invalid_parameter_value()
    {
        var exp = await SeedAsync();
        foreach (var bad in new[] { "not base64!", "eyJvZmZzZXQiOiAxMDB9", Convert.ToBase64String("{\"F\":\"x\",\"K\":[\"l:1\"]}"u8.ToArray()) })
        {
            var ex = await Assert.ThrowsAsync<MlflowException>(() => Store.SearchRunsAsync(new RunQuery([exp], [], [], ViewType.ALL, 2, bad), Ct));
            Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        }

        var first = await Store.SearchRunsAsync(new RunQuery([exp], [], [], ViewType.ALL, 2, null), Ct);
        Assert.NotNull(first.NextPageToken);
        var other = await Assert.ThrowsAsync<MlflowException>(() =>
            Store.SearchRunsAsync(new RunQuery([exp], [], [By(KeyKind.Metric, "m")], ViewType.ALL, 2, first.NextPageToken), Ct));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, other.Code);
    }

    [Fact]
    public async Task View_type_and_experiment_scope()
    {
        var exp = await CreateExperimentAsync();
        var other = await CreateExperimentAsync();
        var a = await CreateRunAsync(exp, "alive");
        var d = await CreateRunAsync(exp, "gone");
        await CreateRunAsync(other, "elsewhere");
        await Store.DeleteRunAsync(d.Info.RunId, 5, Ct);
        Assert.Equal(["alive"], await NamesAsync(exp));
        Assert.Equal(["gone"], await NamesAsync(exp, view: ViewType.DELETED_ONLY));
        Assert.Equal(["alive", "gone"], Sorted(await NamesAsync(exp, view: ViewType.ALL)));
        var both = await Store.SearchRunsAsync(new RunQuery([exp, other], [], [], ViewType.ACTIVE_ONLY, 100, null), Ct);
        Assert.Equal(["alive", "elsewhere"], Sorted(both.Items.Select(r => r.Info.RunName)));
        Assert.Empty((await Store.SearchRunsAsync(new RunQuery([], [], [], ViewType.ALL, 100, null), Ct)).Items);
        Assert.Equal(a.Info.RunId, (await Store.SearchRunsAsync(new RunQuery([exp], [], [], ViewType.ACTIVE_ONLY, 100, null), Ct)).Items.Single().Info.RunId);
    }

    [Fact]
    public async Task Search_results_carry_params_tags_and_latest_metrics()
    {
        var exp = await SeedAsync();
        var page = await Store.SearchRunsAsync(new RunQuery([exp], [Where(KeyKind.Attribute, "run_name", Comparator.Equal, S("b"))], [], ViewType.ACTIVE_ONLY, 10, null), Ct);
        var run = Assert.Single(page.Items);
        Assert.Equal([new KeyValue("model", "alpha-1")], run.Data.Params);
        Assert.Contains(new KeyValue("team", "y"), run.Data.Tags);
        Assert.Equal(2, Assert.Single(run.Data.Metrics).Value);
    }
}
