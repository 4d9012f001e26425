using System.Text.Json;
using Strata.Serving.Tests.Serving;

namespace Strata.Serving.Tests.Python;

/// <summary>
/// Python models logged without a signature (<c>mlflow.sklearn.log_model</c> with no input example) are served as
/// <c>mlflow models serve</c> serves them: nothing enforced, the request's own columns passed through, their types
/// inferred from the JSON (or CSV) values. An echo model reports what it was given; make_models.py computed what it
/// reports for the same bodies parsed the way MLflow parses them (pandas and numpy).
/// </summary>
[Collection(PythonModelsCollection.Name)]
public sealed class PythonUnsignedModelTests(PythonModelsFixture fixture)
{
    public static TheoryData<string> OpenCases() =>
        ["split", "split_positional", "records", "instances_list", "instances_records", "inputs_dict", "inputs_list", "csv"];

    [Theory]
    [MemberData(nameof(OpenCases))]
    public async Task The_model_gets_what_mlflow_builds_from_the_request(string name)
    {
        var expected = fixture.Expected.GetProperty("open").GetProperty(name);
        var (status, body, text) = await fixture.Plain.CallAsync(
            "/serving/echo/invocations", expected.GetProperty("body").GetString()!, expected.GetProperty("content_type").GetString());
        Assert.True(status == 200, text);
        Assert.Equal(Describe(expected.GetProperty("echo")), Describe(body.GetProperty("predictions")));
    }

    [Theory]
    [InlineData("split")]
    [InlineData("records")]
    public async Task Batching_does_not_change_what_the_model_gets(string name)
    {
        var expected = fixture.Expected.GetProperty("open").GetProperty(name);
        var body = expected.GetProperty("body").GetString()!;
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => fixture.Batched.CallAsync("/serving/echo/invocations", body)));
        foreach (var (status, answer, text) in answers)
        {
            Assert.True(status == 200, text);
            Assert.Equal(Describe(expected.GetProperty("echo")), Describe(answer.GetProperty("predictions")));
        }
    }

    [Fact]
    public async Task A_column_mixing_types_reaches_the_model_as_text()
    {
        var (status, body, text) = await fixture.Plain.CallAsync(
            "/serving/echo/invocations", """{"dataframe_split": {"columns": ["m"], "data": [["a"], [1], [2.5], [true], [null]]}}""");
        Assert.True(status == 200, text);
        var column = Assert.Single(body.GetProperty("predictions").EnumerateArray());
        Assert.Equal("object", column.GetProperty("dtype").GetString());
        Assert.Equal("""["a", "1", "2.5", "True", null]""", column.GetProperty("values").GetString());
    }

    [Theory]
    [InlineData(false, "dataframe_split")]
    [InlineData(false, "dataframe_records")]
    [InlineData(true, "dataframe_split")]
    public async Task An_sklearn_pipeline_without_a_signature_answers_as_in_python(bool batching, string format)
    {
        var columns = fixture.Expected.GetProperty("sklearn_columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var rows = fixture.Expected.GetProperty("sklearn_rows").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var host = batching ? fixture.Batched : fixture.Plain;
        var (status, body, text) = await host.CallAsync("/serving/nosig/invocations", PythonWorkerProtocolTests.Body(format, columns, rows));
        Assert.True(status == 200, text);
        var expected = fixture.Expected.GetProperty("sklearn").EnumerateArray().Select(v => v.GetInt64()).ToArray();
        Assert.Equal(expected, body.GetProperty("predictions").EnumerateArray().Select(v => v.GetInt64()).ToArray());
    }

    [Fact]
    public async Task Rows_without_column_names_and_csv_reach_the_pipeline_too()
    {
        var columns = fixture.Expected.GetProperty("sklearn_columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var rows = fixture.Expected.GetProperty("sklearn_rows").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        var expected = fixture.Expected.GetProperty("sklearn").EnumerateArray().Select(v => v.GetInt64()).ToArray();

        // instances as a list of rows: one numpy array (sklearn warns that it has no feature names, and predicts).
        var (status, body, text) = await fixture.Plain.CallAsync("/serving/nosig/invocations", "{\"instances\": " + JsonSerializer.Serialize(rows) + "}");
        Assert.True(status == 200, text);
        Assert.Equal(expected, body.GetProperty("predictions").EnumerateArray().Select(v => v.GetInt64()).ToArray());

        var csv = string.Join(",", columns) + "\n" + string.Join("\n", rows.Select(r => string.Join(",", r.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))));
        (status, body, text) = await fixture.Plain.CallAsync("/serving/nosig/invocations", csv, "text/csv");
        Assert.True(status == 200, text);
        Assert.Equal(expected, body.GetProperty("predictions").EnumerateArray().Select(v => v.GetInt64()).ToArray());
    }

    [Fact]
    public async Task A_request_the_model_cannot_take_is_mlflows_model_error()
    {
        // Named arrays (a dict) are what MLflow hands the pipeline for 'inputs' as an object; scikit-learn refuses them.
        var (status, body, text) = await fixture.Plain.CallAsync("/serving/nosig/invocations", """{"inputs": {"sepal_length": [1.0], "other": [2.0]}}""");
        Assert.True(status == 400, text);
        Assert.Equal("BAD_REQUEST", body.GetProperty("error_code").GetString());
        Assert.StartsWith("Encountered an unexpected error while evaluating the model.", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        (status, body, text) = await fixture.Plain.CallAsync("/serving/nosig/invocations", """{"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}""");
        Assert.True(status == 400, text);
        Assert.Equal("INVALID_PARAMETER_VALUE", body.GetProperty("error_code").GetString());
    }

    [Fact]
    public async Task Open_inference_requests_keep_their_own_datatypes()
    {
        var (status, body, text) = await fixture.Plain.CallAsync("/v2/models/echo/infer",
            """{"inputs": [{"name": "a", "shape": [2], "datatype": "INT32", "data": [1, 2]}, {"name": "b", "shape": [2, 1], "datatype": "FP32", "data": [0.5, 1.5]}], "parameters": {"content_type": "pd"}}""");
        Assert.True(status == 200, text);
        var outputs = body.GetProperty("outputs").EnumerateArray().ToDictionary(o => o.GetProperty("name").GetString()!, o => o.GetProperty("data"));
        Assert.Equal(["DataFrame", "DataFrame"], outputs["kind"].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["int32", "float32"], outputs["dtype"].EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(["(2,)", "(2,)"], outputs["shape"].EnumerateArray().Select(v => v.GetString()));
    }

    private static string Describe(JsonElement records) =>
        string.Join("\n", records.EnumerateArray().Select(r =>
            string.Join(" | ", new[] { "kind", "name", "name_type", "dtype", "shape", "values" }.Select(k => k + "=" + r.GetProperty(k).GetString()))));
}
