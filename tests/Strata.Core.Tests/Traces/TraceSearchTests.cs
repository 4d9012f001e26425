using Strata.Core.Errors;
using Strata.Core.Search;
using Strata.Core.Traces;

namespace Strata.Core.Tests.Traces;

/// <summary>The trace filter grammar (a second grammar over the run-search machinery) and MLflow's key rewrites.</summary>
public class TraceSearchTests
{
    private static string Fails(string filter)
    {
        var ex = Assert.Throws<MlflowException>(() => TraceSearch.ParseFilter(filter));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, ex.Code);
        return ex.Message;
    }

    [Theory]
    [InlineData("trace.status = 'OK'", KeyKind.Attribute, "status")]
    [InlineData("attributes.status = 'OK'", KeyKind.Attribute, "status")]
    [InlineData("attribute.timestamp_ms > 1711089570679", KeyKind.Attribute, "timestamp_ms")]
    [InlineData("timestamp > 1", KeyKind.Attribute, "timestamp_ms")]
    [InlineData("execution_time <= 100", KeyKind.Attribute, "execution_time_ms")]
    [InlineData("tags.`mlflow.traceName` = 'x'", KeyKind.Tag, "mlflow.traceName")]
    [InlineData("tag.team != 'a'", KeyKind.Tag, "team")]
    [InlineData("metadata.`mlflow.sourceRun` = 'r'", KeyKind.Metadata, "mlflow.sourceRun")]
    [InlineData("request_metadata.mlflow.user = 'u'", KeyKind.Metadata, "mlflow.user")]
    [InlineData("span.name LIKE 'retr%'", KeyKind.Span, "name")]
    [InlineData("name = 'predict'", KeyKind.Tag, "mlflow.traceName")]
    [InlineData("trace.name IN ('a', 'b')", KeyKind.Tag, "mlflow.traceName")]
    [InlineData("run_id = 'r'", KeyKind.Attribute, "run_id")]
    [InlineData("request_id IN ('tr-1')", KeyKind.Attribute, "request_id")]
    public void Keys_resolve_as_mlflow_reads_them(string filter, KeyKind kind, string key)
    {
        var clause = Assert.Single(TraceSearch.ParseFilter(filter));
        Assert.Equal(new SearchKey(kind, key), clause.Key);
    }

    [Fact]
    public void Order_by_name_and_run_id_sort_by_their_tag_and_metadata()
    {
        var terms = TraceSearch.ParseOrderBy(["name", "run_id DESC", "timestamp_ms ASC", "tags.team"]);
        Assert.Equal(
            [
                new OrderTerm(new SearchKey(KeyKind.Tag, TraceKeys.TraceName), true),
                new OrderTerm(new SearchKey(KeyKind.Metadata, TraceKeys.SourceRun), false),
                new OrderTerm(new SearchKey(KeyKind.Attribute, "timestamp_ms"), true),
                new OrderTerm(new SearchKey(KeyKind.Tag, "team"), true),
            ],
            terms);
    }

    [Theory]
    [InlineData("tags.team LIKE 'a%'", "comparator 'LIKE' at position 10")]
    [InlineData("metadata.k IN ('a')", "comparator 'IN' at position 11")]
    [InlineData("span.kind = 'x'", "invalid span key 'kind' at position 0")]
    [InlineData("params.p = 'x'", "invalid entity type 'params' in 'params.p' at position 0")]
    [InlineData("status = OK", "value 'OK' for 'status' at position 9 must be a quoted string")]
    [InlineData("timestamp_ms > 1.5", "must be an integer")]
    [InlineData("status = 'OK' AND", "unexpected end of input at position 17")]
    [InlineData("(status = 'OK')", "'(' at position 0")]
    public void Errors_name_the_token_and_position(string filter, string expected) =>
        Assert.Contains(expected, Fails(filter), StringComparison.Ordinal);
}
