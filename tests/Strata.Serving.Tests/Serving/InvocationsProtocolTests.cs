using System.Text.Json;
using Strata.Core.Models;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

/// <summary>Every /invocations form against both flavors and both servers, answered as the runtime answers directly.</summary>
[Collection(ServingCollection.Name)]
public sealed class InvocationsProtocolTests(ServingFixture fixture)
{
    private const int Rows = 7;

    private ServingTestHost Host(bool batched) => batched ? fixture.Batched : fixture.Plain;

    private IEnumerable<HouseRow> Houses => fixture.Models.Houses.Take(Rows);

    public static TheoryData<string, bool> HouseModels => new()
    {
        { ServingFixture.Houses, false },
        { ServingFixture.Houses, true },
        { ServingFixture.HousesOnnx, false },
        { ServingFixture.HousesOnnx, true },
    };

    [Theory]
    [MemberData(nameof(HouseModels))]
    public async Task Every_table_form_gets_the_runtimes_predictions_as_a_flat_list(string model, bool batched)
    {
        var expected = fixture.ExpectedPrices(model, Rows);
        var bodies = new (string Body, string ContentType)[]
        {
            (Split(Houses), "application/json"),
            (Split(Houses, withColumns: false), "application/json"),
            (Split(Houses, reordered: true), "application/json; charset=utf-8"),
            (Records(Houses), "application/json"),
            (Records(Houses, "instances"), "application/json"),
            (Csv(Houses), "text/csv"),
        };
        foreach (var (body, contentType) in bodies)
        {
            var (status, json, text) = await Host(batched).CallAsync($"/serving/{model}/invocations", body, contentType);
            Assert.True(status == 200, $"{status} {text} for {body}");
            var predictions = json.GetProperty("predictions");
            Assert.Equal(JsonValueKind.Array, predictions.ValueKind);
            Assert.All(predictions.EnumerateArray(), p => Assert.Equal(JsonValueKind.Number, p.ValueKind));
            AssertClose(expected, Numbers(predictions));
        }
    }

    [Theory]
    [MemberData(nameof(HouseModels))]
    public async Task Inputs_form_gets_the_output_tensor_nested_by_its_shape(string model, bool batched)
    {
        var expected = fixture.ExpectedPrices(model, Rows);
        var (status, json, text) = await Host(batched).CallAsync($"/serving/{model}/invocations", Inputs(Houses));
        Assert.True(status == 200, text);
        var predictions = json.GetProperty("predictions");
        AssertClose(expected, Numbers(predictions));
        // ONNX returns Score.output as [n, 1]; ML.NET returns a Score column [n].
        var nested = model == ServingFixture.HousesOnnx;
        Assert.Equal(nested ? JsonValueKind.Array : JsonValueKind.Number, predictions[0].ValueKind);
    }

    [Fact]
    public async Task The_first_model_is_also_served_at_the_root_like_mlflow_models_serve()
    {
        var (status, json, _) = await fixture.Plain.CallAsync("/invocations", Split(Houses));
        Assert.Equal(200, status);
        AssertClose(fixture.ExpectedPrices(ServingFixture.Houses, Rows), Numbers(json.GetProperty("predictions")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Vector_model_answers_records_for_tables_and_a_dict_for_tensors(bool batched)
    {
        var rows = fixture.Models.Sensors.Take(Rows).ToList();
        var expected = fixture.ExpectedAlarms(Rows);
        var labels = ((ModelTensor<bool>)expected["PredictedLabel"]).Span.ToArray();
        var scores = ((ModelTensor<float>)expected["Score"]).Span.ToArray();
        foreach (var body in new[] { SensorInstances(rows), SensorRecords(rows) })
        {
            var (status, json, text) = await Host(batched).CallAsync("/serving/sensors/invocations", body);
            Assert.True(status == 200, text);
            var records = json.GetProperty("predictions").EnumerateArray().ToList();
            Assert.Equal(Rows, records.Count);
            Assert.Equal(labels, records.Select(r => r.GetProperty("PredictedLabel").GetBoolean()));
            AssertClose(scores, records.Select(r => (float)r.GetProperty("Score").GetDouble()).ToArray());
        }

        var (s2, tensors, t2) = await Host(batched).CallAsync("/serving/sensors/invocations", SensorInputs(rows));
        Assert.True(s2 == 200, t2);
        var dict = tensors.GetProperty("predictions");
        Assert.Equal(labels, dict.GetProperty("PredictedLabel").EnumerateArray().Select(v => v.GetBoolean()));
        AssertClose(scores, Numbers(dict.GetProperty("Score")));
    }

    [Fact]
    public async Task Params_of_the_request_are_accepted_beside_the_data()
    {
        var body = Split(Houses)[..^1] + ", \"params\": {\"unused\": 3}}";
        var (status, json, text) = await fixture.Plain.CallAsync("/invocations", body);
        Assert.True(status == 200, text);
        AssertClose(fixture.ExpectedPrices(ServingFixture.Houses, Rows), Numbers(json.GetProperty("predictions")));
    }

    [Fact]
    public async Task Ping_health_and_version_answer_like_mlflow()
    {
        foreach (var path in new[] { "/ping", "/health", "/serving/houses-onnx/ping" })
        {
            using var response = await fixture.Plain.Client.GetAsync(path);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("\n", await response.Content.ReadAsStringAsync());
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        }

        using var version = await fixture.Plain.Client.GetAsync("/version");
        Assert.Matches(@"^\d+\.\d+\.\d+$", await version.Content.ReadAsStringAsync());
        Assert.Equal("application/json", version.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Strata.Serving.Hosting.ServingEndpoints.ProtocolVersion, await version.Content.ReadAsStringAsync());
    }
}
