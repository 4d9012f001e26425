using Strata.Core.Errors;
using Strata.Core.Search;

namespace Strata.Core.Tests.Search;

public class SearchFilterErrorTests
{
    private static MlflowException Fails(string filter, SearchTarget target = SearchTarget.Runs)
    {
        var ex = Assert.Throws<MlflowException>(() => SearchFilterParser.Parse(filter, target));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        Assert.StartsWith($"Invalid filter '{filter}': ", ex.Message);
        return ex;
    }

    private static void FailsWith(string filter, string fragment, SearchTarget target = SearchTarget.Runs) =>
        Assert.Contains(fragment, Fails(filter, target).Message);

    [Fact]
    public void Double_operator_names_the_token_and_position()
    {
        Assert.Equal(
            "Invalid filter 'metrics.x >> 1': unexpected token '>' at position 11, expected a number",
            Fails("metrics.x >> 1").Message);
    }

    [Theory]
    [InlineData("metrics.x == 1", "unexpected token '=' at position 11")]
    [InlineData("metrics.x <> 1", "unexpected token '>' at position 11")]
    [InlineData("metrics.x ! 1", "unexpected character '!' at position 10")]
    [InlineData("metrics.x ~ 1", "unexpected character '~' at position 10")]
    [InlineData("metrics.x 1", "unexpected token '1' at position 10, expected a comparator")]
    [InlineData("metrics.x", "unexpected end of input at position 9, expected a comparator")]
    [InlineData("metrics.x >", "unexpected end of input at position 11, expected a number")]
    [InlineData("metrics.x > 1 and", "unexpected end of input at position 17, expected an identifier")]
    [InlineData("metrics.x > 1 metrics.y > 2", "unexpected token 'metrics.y' at position 14, expected AND")]
    [InlineData("metrics.x > 1 and and metrics.y > 2", "unexpected token 'and' at position 18")]
    [InlineData("= 1", "unexpected token '=' at position 0, expected an identifier")]
    [InlineData("params.p NOT 'x'", "unexpected token ''x'' at position 13, expected IN after NOT")]
    [InlineData("params.p = 'x' ,", "unexpected token ',' at position 15, expected AND")]
    public void Syntax_errors(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("metrics.x > 1 OR metrics.y > 2", "'OR' at position 14 is not supported")]
    [InlineData("metrics.x > 1 or metrics.y > 2", "'or' at position 14 is not supported")]
    [InlineData("or metrics.y > 2", "'or' at position 0 is not supported")]
    [InlineData("NOT metrics.x > 1", "'NOT' at position 0 is not supported")]
    [InlineData("(metrics.x > 1)", "'(' at position 0: grouping with parentheses is not supported")]
    [InlineData("metrics.x > 1 and (params.p = 'a')", "'(' at position 18: grouping with parentheses is not supported")]
    public void Or_not_and_grouping_are_rejected(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("params.p = 'x", "unterminated quoted text starting at position 11")]
    [InlineData("params.p = \"x", "unterminated quoted text starting at position 11")]
    [InlineData("tags.`x = 'v'", "unterminated quoted text starting at position 5")]
    [InlineData("metrics.x > 1e", "malformed number '1e' at position 12")]
    [InlineData("metrics.x > 1e+", "malformed number '1e+' at position 12")]
    [InlineData("metrics.x > 1.2.3", "unexpected character '.' at position 15")]
    [InlineData("metrics.x > 12abc", "unexpected character 'a' at position 14")]
    [InlineData("metrics.x > -", "unexpected character '-' at position 12")]
    [InlineData("metrics.my-metric > 1", "unexpected character '-' at position 10")]
    [InlineData("tags. = 'v'", "missing key after 'tags.' at position 5")]
    [InlineData("tags.`` = 'v'", "empty key in 'tags.``' at position 0")]
    public void Lexical_errors(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("foo.x = 'v'", "invalid entity type 'foo' in 'foo.x' at position 0")]
    [InlineData("mlflow.runName = 'v'", "invalid entity type 'mlflow' in 'mlflow.runName' at position 0")]
    [InlineData("metrics.x > 1 and bogus.y = 'z'", "invalid entity type 'bogus' in 'bogus.y' at position 18")]
    [InlineData("start = 1", "invalid attribute key 'start' at position 0")]
    [InlineData("START_TIME = 1", "invalid attribute key 'START_TIME' at position 0")]
    [InlineData("attributes.experiment_id = '1'", "invalid attribute key 'experiment_id' at position 0")]
    [InlineData("`run  name` = 'x'", "invalid attribute key 'run  name' at position 0")]
    [InlineData("datasets.source = 'x'", "invalid dataset key 'source' at position 0")]
    public void Unknown_identifiers_for_runs(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("metrics.x LIKE 1", "comparator 'LIKE' at position 10 is not allowed for 'metrics.x'")]
    [InlineData("metrics.x ILIKE 1", "comparator 'ILIKE' at position 10 is not allowed for 'metrics.x'")]
    [InlineData("metrics.x IN ('1')", "comparator 'IN' at position 10 is not allowed for 'metrics.x'")]
    [InlineData("params.p > 'a'", "comparator '>' at position 9 is not allowed for 'params.p'; allowed: =, !=, LIKE, ILIKE")]
    [InlineData("params.p IN ('a')", "comparator 'IN' at position 9 is not allowed for 'params.p'")]
    [InlineData("tags.t <= 'a'", "comparator '<=' at position 7 is not allowed for 'tags.t'")]
    [InlineData("tags.t not in ('a')", "comparator 'not in' at position 7 is not allowed for 'tags.t'")]
    [InlineData("status IN ('FINISHED')", "comparator 'IN' at position 7 is not allowed for 'status'")]
    [InlineData("run_name IN ('a')", "comparator 'IN' at position 9 is not allowed for 'run_name'")]
    [InlineData("start_time LIKE 1", "comparator 'LIKE' at position 11 is not allowed for 'start_time'")]
    [InlineData("created IN ('1')", "comparator 'IN' at position 8 is not allowed for 'created'")]
    [InlineData("run_id > 'a'", "comparator '>' at position 7 is not allowed for 'run_id'")]
    public void Comparator_not_allowed_for_runs(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("params.p = 1", "value '1' for 'params.p' at position 11 must be a quoted string")]
    [InlineData("tags.t = abc", "value 'abc' for 'tags.t' at position 9 must be a quoted string")]
    [InlineData("run_id = abc", "value 'abc' for 'run_id' at position 9 must be a quoted string")]
    [InlineData("status = 3", "value '3' for 'status' at position 9 must be a quoted string")]
    [InlineData("metrics.x > '1'", "value ''1'' for 'metrics.x' at position 12 must be an unquoted number")]
    [InlineData("metrics.x > \"1\"", "value '\"1\"' for 'metrics.x' at position 12 must be an unquoted number")]
    [InlineData("metrics.x > abc", "value 'abc' for 'metrics.x' at position 12 must be an unquoted number")]
    [InlineData("start_time > '1'", "value ''1'' for 'start_time' at position 13 must be an unquoted number")]
    [InlineData("start_time > 1.5", "value '1.5' for 'start_time' at position 13 must be an integer")]
    [InlineData("end_time > 1e999", "value '1e999' for 'end_time' at position 11 must be an integer")]
    [InlineData("metrics.x > (1)", "unexpected token '(' at position 12, expected a number")]
    [InlineData("params.p = ('a')", "unexpected token '(' at position 11, expected a quoted string")]
    public void Value_type_errors(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("run_id IN ()", "empty list at position 10; IN and NOT IN need at least one quoted string")]
    [InlineData("run_id NOT IN ( )", "empty list at position 14")]
    [InlineData("run_id IN 'a'", "value ''a'' at position 10 must be a parenthesised list of quoted strings")]
    [InlineData("run_id IN", "unexpected end of input at position 9, expected a parenthesised list")]
    [InlineData("run_id IN ('a', 1)", "list item '1' at position 16 must be a quoted string")]
    [InlineData("run_id IN ('a', b)", "list item 'b' at position 16 must be a quoted string")]
    [InlineData("run_id IN ('a',)", "unexpected token ')' at position 15, expected a quoted string")]
    [InlineData("run_id IN ('a' 'b')", "unexpected token ''b'' at position 15, expected ',' or ')'")]
    [InlineData("run_id IN ('a'", "unexpected end of input at position 14, expected ',' or ')'")]
    [InlineData("datasets.name IN (,)", "unexpected token ',' at position 18, expected a quoted string")]
    public void List_errors(string filter, string fragment) => FailsWith(filter, fragment);

    [Theory]
    [InlineData("metrics.x > 1", "invalid entity type 'metrics' in 'metrics.x' at position 0")]
    [InlineData("params.p = 'a'", "invalid entity type 'params'")]
    [InlineData("datasets.name = 'a'", "invalid entity type 'datasets'")]
    [InlineData("run.name = 'a'", "invalid entity type 'run'")]
    [InlineData("experiment_id = '1'", "invalid attribute key 'experiment_id' at position 0")]
    [InlineData("name > 'a'", "comparator '>' at position 5 is not allowed for 'name'")]
    [InlineData("name IN ('a')", "comparator 'IN' at position 5 is not allowed for 'name'")]
    [InlineData("creation_time > '1'", "must be an unquoted number")]
    [InlineData("creation_time LIKE 1", "comparator 'LIKE' at position 14 is not allowed for 'creation_time'")]
    [InlineData("name = 1", "must be a quoted string")]
    public void Experiment_errors(string filter, string fragment) => FailsWith(filter, fragment, SearchTarget.Experiments);

    [Theory]
    [InlineData("metrics.x > 1", "invalid entity type 'metrics'")]
    [InlineData("timestamp > 1", "invalid attribute key 'timestamp' at position 0")]
    [InlineData("last_updated_timestamp > 1", "invalid attribute key 'last_updated_timestamp'")]
    [InlineData("run_id = 'a'", "invalid attribute key 'run_id'")]
    [InlineData("name IN ('a')", "comparator 'IN' at position 5 is not allowed for 'name'")]
    [InlineData("tags.t > 'a'", "comparator '>' at position 7 is not allowed")]
    public void Registered_model_errors(string filter, string fragment) => FailsWith(filter, fragment, SearchTarget.RegisteredModels);

    [Theory]
    [InlineData("metrics.x > 1", "invalid entity type 'metrics'")]
    [InlineData("params.p = 'a'", "invalid entity type 'params'")]
    [InlineData("source = 'a'", "invalid attribute key 'source' at position 0")]
    [InlineData("version = 1", "invalid attribute key 'version'")]
    [InlineData("creation_timestamp > 1", "invalid attribute key 'creation_timestamp'")]
    [InlineData("version_number = '1'", "value ''1'' for 'version_number' at position 17 must be an unquoted number")]
    [InlineData("version_number = 1.5", "must be an integer")]
    [InlineData("version_number LIKE 1", "comparator 'LIKE' at position 15 is not allowed")]
    [InlineData("run_id NOT IN ('a')", "comparator 'NOT IN' at position 7 is not allowed for 'run_id'")]
    [InlineData("name IN ('a')", "comparator 'IN' at position 5 is not allowed for 'name'")]
    [InlineData("source_path > 'a'", "comparator '>' at position 12 is not allowed")]
    public void Model_version_errors(string filter, string fragment) => FailsWith(filter, fragment, SearchTarget.ModelVersions);

    [Theory]
    [InlineData("datasets.name = 'a'", "invalid entity type 'datasets'")]
    [InlineData("run_id = 'a'", "invalid attribute key 'run_id'")]
    [InlineData("artifact_location = 'a'", "invalid attribute key 'artifact_location'")]
    [InlineData("creation_time > '1'", "must be an unquoted number")]
    [InlineData("metrics.acc LIKE 1", "comparator 'LIKE' at position 12 is not allowed")]
    [InlineData("params.p IN ('a')", "comparator 'IN' at position 9 is not allowed")]
    [InlineData("name > 'a'", "comparator '>' at position 5 is not allowed")]
    public void Logged_model_errors(string filter, string fragment) => FailsWith(filter, fragment, SearchTarget.LoggedModels);
}
