using System.Globalization;
using System.Text.Json;
using Strata.Serving.Python;
using Strata.Serving.Tests.Serving;

namespace Strata.Serving.Tests.Python;

/// <summary>
/// python_function models served end to end through Python workers: every JSON form of MLflow's scoring protocol and
/// the Open Inference Protocol, batching off and on, answers compared with the same model called in Python.
/// </summary>
[Collection(PythonModelsCollection.Name)]
public sealed class PythonWorkerProtocolTests(PythonModelsFixture fixture)
{
    private ServingTestHost Host(bool batching) => batching ? fixture.Batched : fixture.Plain;

    private double[][] XyRows => Rows("xy_rows");

    [Theory]
    [InlineData(false, "dataframe_split")]
    [InlineData(false, "dataframe_records")]
    [InlineData(false, "instances")]
    [InlineData(false, "inputs")]
    [InlineData(true, "dataframe_split")]
    [InlineData(true, "inputs")]
    public async Task A_custom_loader_model_answers_as_in_python(bool batching, string format)
    {
        var rows = XyRows[..25];
        var (status, body, text) = await Host(batching).CallAsync("/serving/custom/invocations", Body(format, ["x", "y"], rows));
        Assert.True(status == 200, text);
        AssertNumbers(Numbers("custom")[..25], body.GetProperty("predictions"));
    }

    [Theory]
    [InlineData(false, "dataframe_split")]
    [InlineData(false, "dataframe_records")]
    [InlineData(false, "instances")]
    [InlineData(false, "inputs")]
    [InlineData(true, "dataframe_records")]
    public async Task A_pickled_sklearn_pipeline_answers_as_in_python(bool batching, string format)
    {
        var columns = fixture.Expected.GetProperty("sklearn_columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var (status, body, text) = await Host(batching).CallAsync("/serving/sklearn/invocations", Body(format, columns, Rows("sklearn_rows")));
        Assert.True(status == 200, text);
        AssertNumbers(Numbers("sklearn"), body.GetProperty("predictions"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_sklearn_pipeline_answers_open_inference_requests(bool batching)
    {
        var columns = fixture.Expected.GetProperty("sklearn_columns").EnumerateArray().Select(c => c.GetString()!).ToArray();
        var rows = Rows("sklearn_rows");
        var (status, body, text) = await Host(batching).CallAsync("/v2/models/sklearn/infer", V2Columns(columns, rows));
        Assert.True(status == 200, text);
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("INT64", output.GetProperty("datatype").GetString());
        AssertNumbers(Numbers("sklearn"), output.GetProperty("data"));
    }

    [Fact]
    public async Task The_model_reports_ready_and_its_platform_over_open_inference()
    {
        var (status, _) = await fixture.Plain.GetJsonAsync("/v2/models/sklearn/ready");
        Assert.Equal(200, status);
        var (ok, metadata) = await fixture.Plain.GetJsonAsync("/v2/models/sklearn");
        Assert.Equal(200, ok);
        Assert.Equal("mlflow_pyfunc", metadata.GetProperty("platform").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_dataframe_output_comes_back_as_records(bool batching)
    {
        var rows = XyRows[..12];
        var (status, body, text) = await Host(batching).CallAsync("/serving/frame/invocations", Body("dataframe_split", ["x", "y"], rows));
        Assert.True(status == 200, text);
        var predictions = body.GetProperty("predictions").EnumerateArray().ToList();
        Assert.Equal(12, predictions.Count);
        var totals = fixture.Expected.GetProperty("frame").GetProperty("total").EnumerateArray().ToList();
        var labels = fixture.Expected.GetProperty("frame").GetProperty("label").EnumerateArray().ToList();
        for (var i = 0; i < predictions.Count; i++)
        {
            Assert.Equal(totals[i].GetDouble(), predictions[i].GetProperty("total").GetDouble(), 9);
            Assert.Equal(labels[i].GetString(), predictions[i].GetProperty("label").GetString());
        }
    }

    [Theory]
    [InlineData(false, "inputs")]
    [InlineData(false, "instances")]
    [InlineData(true, "inputs")]
    public async Task A_tensor_model_gets_an_array_and_answers_as_in_python(bool batching, string key)
    {
        var rows = Rows("tensor_rows");
        var json = $$"""{"{{key}}": {{JsonSerializer.Serialize(rows)}}}""";
        var (status, body, text) = await Host(batching).CallAsync("/serving/tensor/invocations", json);
        Assert.True(status == 200, text);
        AssertNumbers(Numbers("tensor"), body.GetProperty("predictions"));

        var v2 = $$"""{"inputs": [{"name": "input-0", "shape": [{{rows.Length}}, 3], "datatype": "FP64", "data": {{JsonSerializer.Serialize(rows.SelectMany(r => r))}}}]}""";
        var (v2Status, v2Body, v2Text) = await Host(batching).CallAsync("/v2/models/tensor/infer", v2);
        Assert.True(v2Status == 200, v2Text);
        AssertNumbers(Numbers("tensor"), Assert.Single(v2Body.GetProperty("outputs").EnumerateArray()).GetProperty("data"));
    }

    [Fact]
    public async Task Concurrent_one_row_requests_are_batched_and_each_gets_its_own_row()
    {
        var rows = XyRows;
        var expected = Numbers("custom");
        var answers = await Task.WhenAll(Enumerable.Range(0, rows.Length).Select(async i =>
        {
            var (status, body, text) = await fixture.Batched.CallAsync("/serving/custom/invocations", Body("dataframe_split", ["x", "y"], [rows[i]]));
            Assert.True(status == 200, text);
            return (i, Value: Assert.Single(body.GetProperty("predictions").EnumerateArray()).GetDouble());
        }));
        foreach (var (i, value) in answers)
        {
            Assert.Equal(expected[i], value, 9);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_model_that_raises_gets_mlflows_error_body_with_its_traceback(bool batching)
    {
        var (status, body, text) = await Host(batching).CallAsync("/serving/raising/invocations", """{"dataframe_split": {"columns": ["x"], "data": [[3.0]]}}""");
        Assert.True(status == 400, text);
        Assert.Equal("BAD_REQUEST", body.GetProperty("error_code").GetString());
        Assert.Equal(
            "Encountered an unexpected error while evaluating the model. Verify that the serialized input Dataframe is compatible with the model for inference.",
            body.GetProperty("message").GetString());
        Assert.Contains("ValueError: the model refuses x=3.0", body.GetProperty("stack_trace").GetString(), StringComparison.Ordinal);

        var (v2Status, v2Body, _) = await Host(batching).CallAsync(
            "/v2/models/raising/infer", """{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [3.0]}]}""");
        Assert.Equal(400, v2Status);
        Assert.StartsWith("Encountered an unexpected error", v2Body.GetProperty("error").GetString(), StringComparison.Ordinal);

        // The worker survives the model's exception.
        var runtime = RuntimeOf(Host(batching), "raising");
        Assert.Equal(0, runtime.WorkerRestarts);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Params_reach_predict_with_the_signatures_defaults(bool batching)
    {
        var host = Host(batching);
        var (status, body, text) = await host.CallAsync("/serving/params/invocations", """{"dataframe_split": {"columns": ["x"], "data": [[1.5], [4.0]]}, "params": {"factor": 10}}""");
        Assert.True(status == 200, text);
        AssertNumbers([15.0, 40.0], body.GetProperty("predictions"));

        (status, body, text) = await host.CallAsync("/serving/params/invocations", """{"dataframe_split": {"columns": ["x"], "data": [[1.5]]}}""");
        Assert.True(status == 200, text);
        AssertNumbers([3.0], body.GetProperty("predictions"));

        (status, body, text) = await host.CallAsync("/serving/params/invocations", """{"dataframe_split": {"columns": ["x"], "data": [[1.5]]}, "params": {"factor": "big"}}""");
        Assert.True(status == 400, text);
        Assert.Contains("'factor'", body.GetProperty("message").GetString(), StringComparison.Ordinal);

        // Concurrent requests with different params are never scored in one call.
        var answers = await Task.WhenAll(Enumerable.Range(1, 12).Select(async f =>
        {
            var (s, b, t) = await host.CallAsync("/serving/params/invocations", "{\"dataframe_split\": {\"columns\": [\"x\"], \"data\": [[2.0]]}, \"params\": {\"factor\": " + f + "}}");
            Assert.True(s == 200, t);
            return (f, Value: Assert.Single(b.GetProperty("predictions").EnumerateArray()).GetDouble());
        }));
        Assert.All(answers, a => Assert.Equal(2.0 * a.f, a.Value));
    }

    [Fact]
    public async Task Input_that_breaks_the_signature_is_refused_before_python()
    {
        var (status, body, text) = await fixture.Plain.CallAsync("/serving/custom/invocations", """{"dataframe_split": {"columns": ["x", "y"], "data": [["a", 1.0]]}}""");
        Assert.True(status == 400, text);
        Assert.Equal("INVALID_PARAMETER_VALUE", body.GetProperty("error_code").GetString());
        Assert.Contains("'x'", body.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    internal static PythonModelRuntime RuntimeOf(ServingTestHost host, string name) =>
        (PythonModelRuntime)host.Get<Hosting.ModelRouteTable>().Find(name)!.Current!.Runtime;

    internal static string Body(string format, string[] columns, double[][] rows)
    {
        var data = JsonSerializer.Serialize(rows);
        return format switch
        {
            "dataframe_split" => "{\"dataframe_split\": {\"columns\": " + JsonSerializer.Serialize(columns) + ", \"data\": " + data + "}}",
            "dataframe_records" => $$"""{"dataframe_records": {{Records(columns, rows)}}}""",
            "instances" => $$"""{"instances": {{Records(columns, rows)}}}""",
            "inputs" => "{\"inputs\": {" + string.Join(", ", columns.Select((c, j) => $"\"{c}\": {JsonSerializer.Serialize(rows.Select(r => r[j]))}")) + "}}",
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    private static string Records(string[] columns, double[][] rows) =>
        "[" + string.Join(", ", rows.Select(r => "{" + string.Join(", ", columns.Select((c, j) => $"\"{c}\": {r[j].ToString("R", CultureInfo.InvariantCulture)}")) + "}")) + "]";

    private static string V2Columns(string[] columns, double[][] rows)
    {
        var inputs = columns.Select((c, j) =>
            $$"""{"name": "{{c}}", "shape": [{{rows.Length}}], "datatype": "FP64", "data": {{JsonSerializer.Serialize(rows.Select(r => r[j]))}}}""");
        return $$"""{"inputs": [{{string.Join(", ", inputs)}}]}""";
    }

    private double[][] Rows(string key) =>
        fixture.Expected.GetProperty(key).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();

    private double[] Numbers(string key) => fixture.Expected.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertNumbers(double[] expected, JsonElement actual)
    {
        var values = actual.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(expected.Length, values.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - values[i]) <= 1e-9 * Math.Max(1, Math.Abs(expected[i])), $"row {i}: expected {expected[i]}, got {values[i]}");
        }
    }
}
