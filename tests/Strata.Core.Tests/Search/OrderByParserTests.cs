using Strata.Core.Errors;
using Strata.Core.Search;

namespace Strata.Core.Tests.Search;

public class OrderByParserTests
{
    private static OrderTerm One(string clause, SearchTarget target = SearchTarget.Runs) =>
        Assert.Single(OrderByParser.Parse([clause], target));

    private static string Fails(IEnumerable<string> clauses, SearchTarget target = SearchTarget.Runs)
    {
        var ex = Assert.Throws<MlflowException>(() => OrderByParser.Parse(clauses, target));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        return ex.Message;
    }

    [Fact]
    public void Empty_order_by_gives_no_terms()
    {
        Assert.Empty(OrderByParser.Parse(null, SearchTarget.Runs));
        Assert.Empty(OrderByParser.Parse([], SearchTarget.Experiments));
        Assert.Empty(OrderByParser.Parse(["", "  "], SearchTarget.ModelVersions));
    }

    [Theory]
    [InlineData("metrics.m", true)]
    [InlineData("metrics.m ASC", true)]
    [InlineData("metrics.m asc", true)]
    [InlineData("metrics.m DESC", false)]
    [InlineData("metrics.m desc", false)]
    [InlineData("metrics.m Desc", false)]
    [InlineData("  metrics.m   DESC  ", false)]
    public void Direction_is_case_insensitive_and_defaults_to_ascending(string clause, bool ascending)
    {
        Assert.Equal(new OrderTerm(new SearchKey(KeyKind.Metric, "m"), ascending), One(clause));
    }

    [Theory]
    [InlineData("metrics.`val loss` DESC", KeyKind.Metric, "val loss")]
    [InlineData("metrics.\"val loss\"", KeyKind.Metric, "val loss")]
    [InlineData("params.p", KeyKind.Param, "p")]
    [InlineData("param.p", KeyKind.Param, "p")]
    [InlineData("tags.mlflow.runName", KeyKind.Tag, "mlflow.runName")]
    [InlineData("tags.`my tag` ASC", KeyKind.Tag, "my tag")]
    [InlineData("run_id", KeyKind.Attribute, "run_id")]
    [InlineData("attributes.run_id", KeyKind.Attribute, "run_id")]
    [InlineData("run_name", KeyKind.Attribute, "run_name")]
    [InlineData("`Run name`", KeyKind.Attribute, "run_name")]
    [InlineData("Run Name DESC", KeyKind.Attribute, "run_name")]
    [InlineData("status", KeyKind.Attribute, "status")]
    [InlineData("user_id", KeyKind.Attribute, "user_id")]
    [InlineData("start_time", KeyKind.Attribute, "start_time")]
    [InlineData("created", KeyKind.Attribute, "start_time")]
    [InlineData("Created DESC", KeyKind.Attribute, "start_time")]
    [InlineData("attribute.end_time", KeyKind.Attribute, "end_time")]
    [InlineData("artifact_uri", KeyKind.Attribute, "artifact_uri")]
    public void Run_order_keys(string clause, KeyKind kind, string key)
    {
        Assert.Equal(new SearchKey(kind, key), One(clause).Key);
    }

    [Theory]
    [InlineData("name", "name")]
    [InlineData("experiment_id DESC", "experiment_id")]
    [InlineData("creation_time", "creation_time")]
    [InlineData("attributes.last_update_time DESC", "last_update_time")]
    public void Experiment_order_keys(string clause, string key)
    {
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), One(clause, SearchTarget.Experiments).Key);
    }

    [Theory]
    [InlineData("name", "name")]
    [InlineData("timestamp DESC", "last_updated_timestamp")]
    [InlineData("last_updated_timestamp", "last_updated_timestamp")]
    public void Registered_model_order_keys(string clause, string key)
    {
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), One(clause, SearchTarget.RegisteredModels).Key);
    }

    [Theory]
    [InlineData("name", "name")]
    [InlineData("version_number DESC", "version_number")]
    [InlineData("creation_timestamp", "creation_timestamp")]
    [InlineData("last_updated_timestamp DESC", "last_updated_timestamp")]
    public void Model_version_order_keys(string clause, string key)
    {
        Assert.Equal(new SearchKey(KeyKind.Attribute, key), One(clause, SearchTarget.ModelVersions).Key);
    }

    [Theory]
    [InlineData("name", KeyKind.Attribute, "name")]
    [InlineData("model_id", KeyKind.Attribute, "model_id")]
    [InlineData("creation_time DESC", KeyKind.Attribute, "creation_timestamp")]
    [InlineData("creation_timestamp", KeyKind.Attribute, "creation_timestamp")]
    [InlineData("last_updated_time", KeyKind.Attribute, "last_updated_timestamp")]
    [InlineData("metrics.acc DESC", KeyKind.Metric, "acc")]
    public void Logged_model_order_keys(string clause, KeyKind kind, string key)
    {
        Assert.Equal(new SearchKey(kind, key), One(clause, SearchTarget.LoggedModels).Key);
    }

    [Fact]
    public void Several_terms_keep_their_order()
    {
        var terms = OrderByParser.Parse(["metrics.m1 DESC", "params.p", "start_time asc"], SearchTarget.Runs);
        Assert.Equal(
            [
                new OrderTerm(new SearchKey(KeyKind.Metric, "m1"), false),
                new OrderTerm(new SearchKey(KeyKind.Param, "p"), true),
                new OrderTerm(new SearchKey(KeyKind.Attribute, "start_time"), true),
            ],
            terms);
    }

    [Theory]
    [InlineData(new[] { "metrics.m", "metrics.m DESC" }, "Invalid order_by clause 'metrics.m DESC': 'metrics.m' at position 0 orders by a field that is already in order_by")]
    [InlineData(new[] { "start_time", "created DESC" }, "'created' at position 0 orders by a field that is already in order_by")]
    [InlineData(new[] { "tags.a", "tag.a" }, "'tag.a' at position 0 orders by a field")]
    public void Same_field_twice_is_rejected(string[] clauses, string fragment)
    {
        Assert.Contains(fragment, Fails(clauses));
    }

    [Fact]
    public void Same_key_under_different_kinds_is_allowed()
    {
        Assert.Equal(2, OrderByParser.Parse(["metrics.a", "params.a"], SearchTarget.Runs).Count);
    }

    [Fact]
    public void Registered_model_timestamp_aliases_collide()
    {
        Assert.Contains("orders by a field that is already in order_by", Fails(["timestamp", "last_updated_timestamp"], SearchTarget.RegisteredModels));
    }

    [Theory]
    [InlineData("metrics.m UP", "Invalid order_by clause 'metrics.m UP': unexpected token 'UP' at position 10, expected ASC, DESC or the end of the clause")]
    [InlineData("metrics.m DESC ASC", "unexpected token 'ASC' at position 15")]
    [InlineData("metrics.m, params.p", "unexpected token ',' at position 9")]
    [InlineData("metrics.m > 1", "unexpected token '>' at position 10")]
    [InlineData("DESC metrics.m", "invalid order_by attribute 'DESC' at position 0")]
    [InlineData("bogus", "invalid order_by attribute 'bogus' at position 0")]
    [InlineData("foo.bar", "invalid entity type 'foo' in 'foo.bar' at position 0")]
    [InlineData("datasets.name", "cannot order by 'datasets.name' at position 0")]
    [InlineData("metrics.`m", "unterminated quoted text starting at position 8")]
    [InlineData("'metrics.m'", "unexpected token ''metrics.m'' at position 0, expected an identifier")]
    [InlineData("(metrics.m)", "unexpected token '(' at position 0, expected an identifier")]
    public void Run_order_errors(string clause, string fragment)
    {
        Assert.Contains(fragment, Fails([clause]));
    }

    [Theory]
    [InlineData(SearchTarget.Experiments, "tags.t", "cannot order by 'tags.t' at position 0")]
    [InlineData(SearchTarget.Experiments, "metrics.m", "invalid entity type 'metrics'")]
    [InlineData(SearchTarget.Experiments, "artifact_location", "invalid order_by attribute 'artifact_location'")]
    [InlineData(SearchTarget.RegisteredModels, "creation_timestamp", "invalid order_by attribute 'creation_timestamp'")]
    [InlineData(SearchTarget.RegisteredModels, "tags.t", "cannot order by 'tags.t'")]
    [InlineData(SearchTarget.ModelVersions, "run_id", "invalid order_by attribute 'run_id'")]
    [InlineData(SearchTarget.ModelVersions, "timestamp", "invalid order_by attribute 'timestamp'")]
    [InlineData(SearchTarget.LoggedModels, "params.p", "cannot order by 'params.p' at position 0")]
    [InlineData(SearchTarget.LoggedModels, "tags.t", "cannot order by 'tags.t'")]
    [InlineData(SearchTarget.LoggedModels, "run_id", "invalid order_by attribute 'run_id'")]
    public void Order_errors_per_target(SearchTarget target, string clause, string fragment)
    {
        Assert.Contains(fragment, Fails([clause], target));
    }
}
