using System.Text.Json;
using Strata.Core.Models;
using static Strata.Serving.Tests.Serving.RequestBodies;

namespace Strata.Serving.Tests.Serving;

[Collection(ServingCollection.Name)]
public sealed class OpenInferenceTests(ServingFixture fixture)
{
    private const int Rows = 5;

    [Theory]
    [InlineData(ServingFixture.Houses, false, true)]
    [InlineData(ServingFixture.Houses, true, false)]
    [InlineData(ServingFixture.HousesOnnx, false, false)]
    [InlineData(ServingFixture.HousesOnnx, true, true)]
    public async Task Infer_returns_the_runtimes_outputs_flat_with_shape_and_datatype(string model, bool batched, bool columnShape)
    {
        var host = batched ? fixture.Batched : fixture.Plain;
        var (status, json, text) = await host.CallAsync(
            $"/v2/models/{model}/infer", V2Houses(fixture.Models.Houses.Take(Rows), columnShape, id: "req-42"));
        Assert.True(status == 200, text);
        Assert.Equal(model, json.GetProperty("model_name").GetString());
        Assert.Equal("req-42", json.GetProperty("id").GetString());
        var output = json.GetProperty("outputs")[0];
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal(Rows, output.GetProperty("shape")[0].GetInt32());
        AssertClose(fixture.ExpectedPrices(model, Rows), Numbers(output.GetProperty("data")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Infer_takes_flat_or_nested_data_and_filters_requested_outputs(bool nested)
    {
        var rows = fixture.Models.Sensors.Take(Rows).ToList();
        var body = SensorV2(rows, nested)[..^1] + ", \"outputs\": [{\"name\": \"Score\"}]}";
        var (status, json, text) = await fixture.Plain.CallAsync("/v2/models/sensors/infer", body);
        Assert.True(status == 200, text);
        var outputs = json.GetProperty("outputs").EnumerateArray().ToList();
        Assert.Single(outputs);
        Assert.Equal("Score", outputs[0].GetProperty("name").GetString());
        AssertClose(((ModelTensor<float>)fixture.ExpectedAlarms(Rows)["Score"]).Span.ToArray(), Numbers(outputs[0].GetProperty("data")));
    }

    [Fact]
    public async Task Metadata_comes_from_the_signature()
    {
        var (status, json) = await fixture.Plain.GetJsonAsync("/v2/models/houses");
        Assert.Equal(200, status);
        Assert.Equal("houses", json.GetProperty("name").GetString());
        var inputs = json.GetProperty("inputs").EnumerateArray().ToList();
        Assert.Equal(["Size", "Rooms", "Age"], inputs.Select(i => i.GetProperty("name").GetString()));
        Assert.All(inputs, i => Assert.Equal("FP32", i.GetProperty("datatype").GetString()));
        Assert.All(inputs, i => Assert.Equal([-1, 1], i.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32())));
        Assert.Equal("Score", json.GetProperty("outputs")[0].GetProperty("name").GetString());

        var (_, onnx) = await fixture.Plain.GetJsonAsync("/v2/models/houses-onnx");
        Assert.Equal("onnx_onnxv1", onnx.GetProperty("platform").GetString());
        Assert.Equal([-1, 1], onnx.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));

        var (_, sensors) = await fixture.Plain.GetJsonAsync("/v2/models/sensors");
        Assert.Equal([-1, 4], sensors.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));

        var version = json.GetProperty("versions")[0].GetString();
        var (versioned, _) = await fixture.Plain.GetJsonAsync($"/v2/models/houses/versions/{version}");
        Assert.Equal(200, versioned);
    }

    [Fact]
    public async Task Server_metadata_has_name_version_and_extensions()
    {
        var (status, json) = await fixture.Plain.GetJsonAsync("/v2");
        Assert.Equal(200, status);
        Assert.Equal("strata", json.GetProperty("name").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+$", json.GetProperty("version").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Array, json.GetProperty("extensions").ValueKind);
        var (liveStatus, live) = await fixture.Plain.GetJsonAsync("/v2/health/live");
        Assert.Equal(200, liveStatus);
        Assert.True(live.GetProperty("live").GetBoolean());
    }

    [Fact]
    public async Task Health_ready_and_unknown_models()
    {
        Assert.Equal(200, (await fixture.Plain.GetJsonAsync("/v2/health/live")).Status);
        var (readyStatus, ready) = await fixture.Plain.GetJsonAsync("/v2/health/ready");
        Assert.Equal(200, readyStatus);
        Assert.True(ready.GetProperty("ready").GetBoolean());
        var (modelReadyStatus, modelReady) = await fixture.Plain.GetJsonAsync("/v2/models/sensors/ready");
        Assert.Equal(200, modelReadyStatus);
        Assert.True(modelReady.GetProperty("ready").GetBoolean());

        var (unknown, error) = await fixture.Plain.GetJsonAsync("/v2/models/nope/ready");
        Assert.Equal(404, unknown);
        Assert.Contains("nope", error.GetProperty("error").GetString());
        Assert.Equal(404, (await fixture.Plain.GetJsonAsync("/v2/models/houses/versions/999")).Status);
        var (inferStatus, inferBody, _) = await fixture.Plain.CallAsync("/v2/models/houses/versions/999/infer", V2Houses(fixture.Models.Houses.Take(1)));
        Assert.Equal(404, inferStatus);
        Assert.Contains("999", inferBody.GetProperty("error").GetString());
        Assert.Equal(404, (await fixture.Plain.CallAsync("/v2/models/nope/infer", V2Houses(fixture.Models.Houses.Take(1)))).Status);
    }
}
