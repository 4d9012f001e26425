using Strata.Core.Errors;
using Strata.Core.Search;

namespace Strata.Core.Tests.Search;

public class SearchFilterParserTests
{
    private static Comparison Single(string filter, SearchTarget target = SearchTarget.Runs)
    {
        var clauses = SearchFilterParser.Parse(filter, target);
        return Assert.Single(clauses);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \t\n")]
    public void Empty_filter_gives_no_clauses(string? filter)
    {
        foreach (var target in Enum.GetValues<SearchTarget>())
        {
            Assert.Empty(SearchFilterParser.Parse(filter, target));
        }
    }

    [Theory]
    [InlineData("metrics.m = 1", Comparator.Equal)]
    [InlineData("metrics.m != 1", Comparator.NotEqual)]
    [InlineData("metrics.m > 1", Comparator.Greater)]
    [InlineData("metrics.m >= 1", Comparator.GreaterOrEqual)]
    [InlineData("metrics.m < 1", Comparator.Less)]
    [InlineData("metrics.m <= 1", Comparator.LessOrEqual)]
    [InlineData("metrics.m<=1", Comparator.LessOrEqual)]
    public void Metric_numeric_comparators(string filter, Comparator expected)
    {
        var c = Single(filter);
        Assert.Equal(new SearchKey(KeyKind.Metric, "m"), c.Key);
        Assert.Equal(expected, c.Comparator);
        Assert.Equal(new NumberValue(1, "1"), c.Value);
    }

    [Theory]
    [InlineData("params.p = 'x'", Comparator.Equal)]
    [InlineData("params.p != 'x'", Comparator.NotEqual)]
    [InlineData("params.p LIKE 'x'", Comparator.Like)]
    [InlineData("params.p like 'x'", Comparator.Like)]
    [InlineData("params.p ILIKE 'x'", Comparator.ILike)]
    [InlineData("params.p iLike 'x'", Comparator.ILike)]
    public void Param_string_comparators(string filter, Comparator expected)
    {
        var c = Single(filter);
        Assert.Equal(new SearchKey(KeyKind.Param, "p"), c.Key);
        Assert.Equal(expected, c.Comparator);
        Assert.Equal(new StringValue("x"), c.Value);
    }

    [Theory]
    [InlineData("attributes.run_id IN ('a', 'b')", Comparator.In)]
    [InlineData("attributes.run_id in ('a','b')", Comparator.In)]
    [InlineData("attributes.run_id NOT IN ('a', 'b')", Comparator.NotIn)]
    [InlineData("attributes.run_id not in ('a', 'b')", Comparator.NotIn)]
    [InlineData("run_id Not  In('a' ,'b')", Comparator.NotIn)]
    public void Run_id_list_comparators(string filter, Comparator expected)
    {
        var c = Single(filter);
        Assert.Equal(new SearchKey(KeyKind.Attribute, "run_id"), c.Key);
        Assert.Equal(expected, c.Comparator);
        Assert.Equal(["a", "b"], Assert.IsType<ListValue>(c.Value).Values);
    }

    [Theory]
    [InlineData("metric.m > 0", KeyKind.Metric)]
    [InlineData("metrics.m > 0", KeyKind.Metric)]
    [InlineData("METRICS.m > 0", KeyKind.Metric)]
    [InlineData("param.m = 'v'", KeyKind.Param)]
    [InlineData("params.m = 'v'", KeyKind.Param)]
    [InlineData("parameter.m = 'v'", KeyKind.Param)]
    [InlineData("Parameters.m = 'v'", KeyKind.Param)]
    [InlineData("tag.m = 'v'", KeyKind.Tag)]
    [InlineData("tags.m = 'v'", KeyKind.Tag)]
    [InlineData("Tags.m = 'v'", KeyKind.Tag)]
    public void Run_prefixes_are_case_insensitive_with_aliases(string filter, KeyKind kind)
    {
        Assert.Equal(new SearchKey(kind, "m"), Single(filter).Key);
    }

    [Theory]
    [InlineData("attribute.status = 'x'", "status")]
    [InlineData("attributes.status = 'x'", "status")]
    [InlineData("attr.status = 'x'", "status")]
    [InlineData("run.status = 'x'", "status")]
    [InlineData("status = 'x'", "status")]
    [InlineData("user_id = 'x'", "user_id")]
    [InlineData("artifact_uri = 'x'", "artifact_uri")]
    [InlineData("run_id = 'x'", "run_id")]
    [InlineData("run_name = 'x'", "run_name")]
    [InlineData("attributes.run_name = 'x'", "run_name")]
    [InlineData("`run name` = 'x'", "run_name")]
    [InlineData("`Run name` = 'x'", "run_name")]
    [InlineData("`Run Name` = 'x'", "run_name")]
    [InlineData("\"Run Name\" = 'x'", "run_name")]
    [InlineData("attributes.`Run name` = 'x'", "run_name")]
    [InlineData("Run name = 'x'", "run_name")]
    [InlineData("run name = 'x'", "run_name")]
    public void Run_string_attributes_and_aliases(string filter, string canonical)
    {
        var c = Single(filter);
        Assert.Equal(new SearchKey(KeyKind.Attribute, canonical), c.Key);
        Assert.Equal(new StringValue("x"), c.Value);
    }

    [Theory]
    [InlineData("start_time > 1700000000000", "start_time")]
    [InlineData("attributes.start_time >= 1700000000000", "start_time")]
    [InlineData("created > 1700000000000", "start_time")]
    [InlineData("Created < 1700000000000", "start_time")]
    [InlineData("attributes.created = 1700000000000", "start_time")]
    [InlineData("end_time != 1700000000000", "end_time")]
    [InlineData("end_time <= 1.7e12", "end_time")]
    public void Run_time_attributes_and_aliases(string filter, string canonical)
    {
        var c = Single(filter);
        Assert.Equal(new SearchKey(KeyKind.Attribute, canonical), c.Key);
        Assert.Equal(1.7e12, Assert.IsType<NumberValue>(c.Value).Value);
    }

    [Theory]
    [InlineData("datasets.name = 'ds'", "name", Comparator.Equal)]
    [InlineData("dataset.digest != 'ds'", "digest", Comparator.NotEqual)]
    [InlineData("datasets.context LIKE 'ds'", "context", Comparator.Like)]
    [InlineData("datasets.name ILIKE 'ds'", "name", Comparator.ILike)]
    public void Run_dataset_keys(string filter, string key, Comparator comparator)
    {
        var c = Single(filter);
        Assert.Equal(new SearchKey(KeyKind.Dataset, key), c.Key);
        Assert.Equal(comparator, c.Comparator);
        Assert.Equal(new StringValue("ds"), c.Value);
    }

    [Fact]
    public void Dataset_lists_keep_case()
    {
        var c = Single("datasets.digest NOT IN ('ABC', 'def')");
        Assert.Equal(Comparator.NotIn, c.Comparator);
        Assert.Equal(["ABC", "def"], Assert.IsType<ListValue>(c.Value).Values);
    }

    [Fact]
    public void Run_id_in_drops_entries_that_are_not_lowercase()
    {
        var c = Single("run_id IN ('abc123', 'ABC123', 'aBc', 'def')");
        Assert.Equal(["abc123", "def"], Assert.IsType<ListValue>(c.Value).Values);
        var all = Single("run_id NOT IN ('ABC')");
        Assert.Empty(Assert.IsType<ListValue>(all.Value).Values);
    }

    [Fact]
    public void Model_version_run_id_in_keeps_case()
    {
        var c = Single("run_id IN ('ABC', 'def')", SearchTarget.ModelVersions);
        Assert.Equal(["ABC", "def"], Assert.IsType<ListValue>(c.Value).Values);
    }

    [Fact]
    public void Key_splits_on_the_first_dot_only()
    {
        Assert.Equal(new SearchKey(KeyKind.Tag, "mlflow.runName"), Single("tags.mlflow.runName = 'r'").Key);
        Assert.Equal(new SearchKey(KeyKind.Tag, "mlflow.source.name"), Single("tags.mlflow.source.name = 'r'").Key);
        Assert.Equal(new SearchKey(KeyKind.Metric, "a.b"), Single("metrics.a.b > 1").Key);
    }

    [Theory]
    [InlineData("tags.`my tag` = 'v'", KeyKind.Tag, "my tag")]
    [InlineData("tags.\"my tag\" = 'v'", KeyKind.Tag, "my tag")]
    [InlineData("params.\"a b\" = 'v'", KeyKind.Param, "a b")]
    [InlineData("params.`my-param` = 'v'", KeyKind.Param, "my-param")]
    [InlineData("tags.`a``b` = 'v'", KeyKind.Tag, "a`b")]
    [InlineData("tags.`x.y` = 'v'", KeyKind.Tag, "x.y")]
    [InlineData("tags.`loss/val:1` = 'v'", KeyKind.Tag, "loss/val:1")]
    public void Quoted_keys(string filter, KeyKind kind, string key)
    {
        Assert.Equal(new SearchKey(kind, key), Single(filter).Key);
    }

    [Fact]
    public void Quoted_metric_key()
    {
        var c = Single("metrics.`val loss` < 0.25");
        Assert.Equal(new SearchKey(KeyKind.Metric, "val loss"), c.Key);
        Assert.Equal(new NumberValue(0.25, "0.25"), c.Value);
    }

    [Fact]
    public void Unicode_keys_and_values()
    {
        var c = Single("params.größe = 'häuser'");
        Assert.Equal(new SearchKey(KeyKind.Param, "größe"), c.Key);
        Assert.Equal(new StringValue("häuser"), c.Value);
    }

    [Theory]
    [InlineData("params.p = 'x'", "x")]
    [InlineData("params.p = \"x\"", "x")]
    [InlineData("params.p = ''", "")]
    [InlineData("params.p = 'it''s'", "it's")]
    [InlineData("params.p = 'it\\'s'", "it's")]
    [InlineData("params.p = \"say \"\"hi\"\"\"", "say \"hi\"")]
    [InlineData("params.p = 'a \"b\"'", "a \"b\"")]
    [InlineData("params.p = 'and or not = > ('", "and or not = > (")]
    [InlineData("params.p = '1.5'", "1.5")]
    [InlineData("params.p LIKE '%a_b%'", "%a_b%")]
    [InlineData("params.p = 'C:\\models'", "C:\\models")]
    [InlineData("params.p = '  padded  '", "  padded  ")]
    public void String_values(string filter, string expected)
    {
        Assert.Equal(new StringValue(expected), Single(filter).Value);
    }

    [Theory]
    [InlineData("metrics.m > 0", 0.0, "0")]
    [InlineData("metrics.m > 42", 42.0, "42")]
    [InlineData("metrics.m > -1", -1.0, "-1")]
    [InlineData("metrics.m > +1", 1.0, "+1")]
    [InlineData("metrics.m > 0.5", 0.5, "0.5")]
    [InlineData("metrics.m > .5", 0.5, ".5")]
    [InlineData("metrics.m > -.5", -0.5, "-.5")]
    [InlineData("metrics.m > 5.", 5.0, "5.")]
    [InlineData("metrics.m > 1e3", 1000.0, "1e3")]
    [InlineData("metrics.m > 1.5E-3", 0.0015, "1.5E-3")]
    [InlineData("metrics.m > -2e+2", -200.0, "-2e+2")]
    [InlineData("metrics.m>-1", -1.0, "-1")]
    public void Numeric_values(string filter, double value, string text)
    {
        Assert.Equal(new NumberValue(value, text), Single(filter).Value);
    }

    [Fact]
    public void Clauses_are_joined_with_and_in_any_case()
    {
        var clauses = SearchFilterParser.Parse(
            "metrics.rmse < 1 and params.model = 'lr' AND tags.`my-tag` ILIKE '%x%' And attributes.run_id IN ('a1','b2')",
            SearchTarget.Runs);
        Assert.Equal(
            [
                new Comparison(new SearchKey(KeyKind.Metric, "rmse"), Comparator.Less, new NumberValue(1, "1")),
                new Comparison(new SearchKey(KeyKind.Param, "model"), Comparator.Equal, new StringValue("lr")),
                new Comparison(new SearchKey(KeyKind.Tag, "my-tag"), Comparator.ILike, new StringValue("%x%")),
            ],
            clauses.Take(3));
        var last = clauses[3];
        Assert.Equal(new SearchKey(KeyKind.Attribute, "run_id"), last.Key);
        Assert.Equal(["a1", "b2"], Assert.IsType<ListValue>(last.Value).Values);
    }

    [Fact]
    public void Bench_filter()
    {
        var clauses = SearchFilterParser.Parse("metrics.m1 > 0.5 and params.p1 = 'x'", SearchTarget.Runs);
        Assert.Equal(2, clauses.Count);
        Assert.Equal(KeyKind.Metric, clauses[0].Key.Kind);
        Assert.Equal(KeyKind.Param, clauses[1].Key.Kind);
    }

    [Fact]
    public void Keys_named_like_keywords()
    {
        var c = Single("params.and = 'in'");
        Assert.Equal(new SearchKey(KeyKind.Param, "and"), c.Key);
        Assert.Equal(new StringValue("in"), c.Value);
        Assert.Equal(new SearchKey(KeyKind.Tag, "like"), Single("tags.like LIKE 'x'").Key);
    }

    // ---- experiments ----

    [Theory]
    [InlineData("name = 'e'", "name", Comparator.Equal)]
    [InlineData("attributes.name != 'e'", "name", Comparator.NotEqual)]
    [InlineData("attribute.name LIKE 'e'", "name", Comparator.Like)]
    [InlineData("name ILIKE 'e'", "name", Comparator.ILike)]
    public void Experiment_name(string filter, string key, Comparator comparator)
    {
        var c = Single(filter, SearchTarget.Experiments);
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), c.Key);
        Assert.Equal(comparator, c.Comparator);
    }

    [Theory]
    [InlineData("creation_time > 5", "creation_time", Comparator.Greater)]
    [InlineData("creation_time = 5", "creation_time", Comparator.Equal)]
    [InlineData("last_update_time <= 5", "last_update_time", Comparator.LessOrEqual)]
    [InlineData("attributes.last_update_time != 5", "last_update_time", Comparator.NotEqual)]
    public void Experiment_times(string filter, string key, Comparator comparator)
    {
        var c = Single(filter, SearchTarget.Experiments);
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), c.Key);
        Assert.Equal(comparator, c.Comparator);
        Assert.Equal(new NumberValue(5, "5"), c.Value);
    }

    [Theory]
    [InlineData("tags.k = 'v'")]
    [InlineData("tag.k = 'v'")]
    [InlineData("tags.k LIKE 'v'")]
    public void Experiment_tags(string filter)
    {
        Assert.Equal(new SearchKey(KeyKind.Tag, "k"), Single(filter, SearchTarget.Experiments).Key);
    }

    // ---- registered models ----

    [Theory]
    [InlineData("name = 'm'", KeyKind.Attribute, "name")]
    [InlineData("name LIKE 'm%'", KeyKind.Attribute, "name")]
    [InlineData("name ILIKE 'm%'", KeyKind.Attribute, "name")]
    [InlineData("name != 'm'", KeyKind.Attribute, "name")]
    [InlineData("tags.k = 'm'", KeyKind.Tag, "k")]
    [InlineData("tags.`a b` ILIKE 'm'", KeyKind.Tag, "a b")]
    public void Registered_model_filters(string filter, KeyKind kind, string key)
    {
        Assert.Equal(new SearchKey(kind, key), Single(filter, SearchTarget.RegisteredModels).Key);
    }

    // ---- model versions ----

    [Theory]
    [InlineData("name = 'm'", "name", Comparator.Equal)]
    [InlineData("name LIKE 'm'", "name", Comparator.Like)]
    [InlineData("run_id = 'r'", "run_id", Comparator.Equal)]
    [InlineData("run_id ILIKE 'r'", "run_id", Comparator.ILike)]
    [InlineData("source_path = 's3://b/p'", "source_path", Comparator.Equal)]
    [InlineData("source_path != 'p'", "source_path", Comparator.NotEqual)]
    public void Model_version_string_filters(string filter, string key, Comparator comparator)
    {
        var c = Single(filter, SearchTarget.ModelVersions);
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), c.Key);
        Assert.Equal(comparator, c.Comparator);
        Assert.IsType<StringValue>(c.Value);
    }

    [Theory]
    [InlineData("version_number = 3", Comparator.Equal)]
    [InlineData("version_number != 3", Comparator.NotEqual)]
    [InlineData("version_number > 3", Comparator.Greater)]
    [InlineData("version_number >= 3", Comparator.GreaterOrEqual)]
    [InlineData("version_number < 3", Comparator.Less)]
    [InlineData("version_number <= 3", Comparator.LessOrEqual)]
    public void Model_version_number(string filter, Comparator comparator)
    {
        var c = Single(filter, SearchTarget.ModelVersions);
        Assert.Equal(new SearchKey(KeyKind.Attribute, "version_number"), c.Key);
        Assert.Equal(comparator, c.Comparator);
        Assert.Equal(new NumberValue(3, "3"), c.Value);
    }

    [Fact]
    public void Model_version_tags_and_combination()
    {
        var clauses = SearchFilterParser.Parse("name='m' and tags.`stage x` = 'prod' and version_number>1", SearchTarget.ModelVersions);
        Assert.Equal(new SearchKey(KeyKind.Tag, "stage x"), clauses[1].Key);
        Assert.Equal(3, clauses.Count);
    }

    // ---- logged models ----

    [Theory]
    [InlineData("name = 'm'", "name")]
    [InlineData("model_id = 'm-1'", "model_id")]
    [InlineData("model_type LIKE 'agent%'", "model_type")]
    [InlineData("status = 'LOGGED_MODEL_READY'", "status")]
    [InlineData("source_run_id != 'r'", "source_run_id")]
    [InlineData("attributes.name ILIKE 'm'", "name")]
    public void Logged_model_string_attributes(string filter, string key)
    {
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), Single(filter, SearchTarget.LoggedModels).Key);
    }

    [Theory]
    [InlineData("creation_timestamp > 1", "creation_timestamp")]
    [InlineData("creation_time > 1", "creation_timestamp")]
    [InlineData("last_updated_timestamp < 1", "last_updated_timestamp")]
    [InlineData("last_updated_time >= 1", "last_updated_timestamp")]
    public void Logged_model_time_attributes_and_aliases(string filter, string key)
    {
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), Single(filter, SearchTarget.LoggedModels).Key);
    }

    [Fact]
    public void Logged_model_metrics_params_tags_and_lists()
    {
        var clauses = SearchFilterParser.Parse(
            "metrics.acc >= 0.9 AND params.lr = '0.1' AND tags.t = 'x' AND model_id IN ('m-1', 'M-2')", SearchTarget.LoggedModels);
        Assert.Equal(KeyKind.Metric, clauses[0].Key.Kind);
        Assert.Equal(KeyKind.Param, clauses[1].Key.Kind);
        Assert.Equal(KeyKind.Tag, clauses[2].Key.Kind);
        Assert.Equal(["m-1", "M-2"], Assert.IsType<ListValue>(clauses[3].Value).Values);
    }
}
