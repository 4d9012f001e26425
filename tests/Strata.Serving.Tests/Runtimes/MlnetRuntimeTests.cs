using Microsoft.ML;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Runtimes;

public class MlnetRuntimeTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    private static ModelInput HouseColumns(IReadOnlyList<HouseRow> rows) => new(
        ModelTensor.Column("Size", rows.Select(r => r.Size).ToArray()),
        ModelTensor.Column("Rooms", rows.Select(r => r.Rooms).ToArray()),
        ModelTensor.Column("Age", rows.Select(r => r.Age).ToArray()));

    private async Task<MlnetModelRuntime> SaveAndLoadRegression(ModelSaveOptions? options = null)
    {
        var path = models.NewPath("houses");
        await MlnetFlavor.SaveAsync(path, models.Ml, models.Regression, models.HouseSchema, options);
        return Assert.IsType<MlnetModelRuntime>(await new ModelRuntimeLoader().LoadAsync(path));
    }

    [Fact]
    public async Task Saves_the_mlnet_flavor_with_a_signature_from_the_model_schema()
    {
        var path = models.NewPath("houses");
        var saved = await MlnetFlavor.SaveAsync(path, models.Ml, models.Regression, models.HouseSchema,
            new ModelSaveOptions { RunId = "0123456789abcdef0123456789abcdef", ArtifactPath = "model" });

        var onDisk = await ModelFolder.ReadMlModelAsync(path);
        Assert.Equal(saved.ToYaml(), onDisk.ToYaml());
        var flavor = onDisk.Flavor("mlnet")!;
        Assert.Equal("model.zip", flavor["model_data"]);
        Assert.Equal(MlnetFlavor.MlnetVersion, flavor["mlnet_version"]);
        Assert.StartsWith("5.0", MlnetFlavor.MlnetVersion, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(path, "model.zip")));
        Assert.Equal("model", onDisk.ArtifactPath);
        Assert.Equal(32, onDisk.ModelUuid!.Length);
        Assert.True(onDisk.ModelSizeBytes > 0);
        // Label is in the training schema but the model does not read it, so it is not an input.
        Assert.Equal(
            """[{"type": "float", "name": "Size", "required": true}, {"type": "float", "name": "Rooms", "required": true}, {"type": "float", "name": "Age", "required": true}]""",
            onDisk.Signature!.Inputs!.ToJson());
        Assert.Equal("""[{"type": "float", "name": "Score", "required": true}]""", onDisk.Signature.Outputs!.ToJson());
        Assert.Empty(Directory.GetDirectories(models.Root, ".*")); // no staging folder left behind
    }

    [Fact]
    public async Task Reloaded_model_predicts_what_MLNET_predicts_on_both_paths()
    {
        using var runtime = await SaveAndLoadRegression();
        var rows = models.Houses.Take(100).ToList();
        var expected = models.ReferencePrices(100);

        var perRow = runtime.PredictPerRow(HouseColumns(rows));
        var batch = runtime.PredictBatch(HouseColumns(rows));
        var auto = runtime.Predict(HouseColumns(rows.Take(3).ToList()));

        Assert.Equal(expected, ((ModelTensor<float>)perRow["Score"]).Span.ToArray());
        Assert.Equal(expected, ((ModelTensor<float>)batch["Score"]).Span.ToArray());
        Assert.Equal(expected.Take(3), ((ModelTensor<float>)auto["Score"]).Span.ToArray());
        Assert.Equal([100], perRow["Score"].Shape);
    }

    [Fact]
    public async Task Typed_SDK_api_matches_the_columnar_path()
    {
        using var runtime = await SaveAndLoadRegression();
        var expected = models.ReferencePrices(20);
        var inputs = models.Houses.Take(20).Select(h => new HouseInput { Size = h.Size, Rooms = h.Rooms, Age = h.Age }).ToList();

        var one = inputs.Select(i => runtime.Predict<HouseInput, PriceOutput>(i).Score).ToArray();
        var many = runtime.PredictMany<HouseInput, PriceOutput>(inputs).Select(o => o.Score).ToArray();

        Assert.Equal(expected, one);
        Assert.Equal(expected, many);
    }

    [Fact]
    public async Task Pooled_engines_give_the_same_answers_under_concurrency()
    {
        using var runtime = await SaveAndLoadRegression();
        var expected = models.ReferencePrices(50);
        var results = new float[8][];
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            results[t] = models.Houses.Take(50)
                .Select(h => ((ModelTensor<float>)runtime.Predict(HouseColumns([h]))["Score"]).Span[0]).ToArray();
        })));
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    [Fact]
    public async Task Vector_model_gets_a_tensor_signature_and_all_prediction_columns()
    {
        var path = models.NewPath("sensors");
        var saved = await MlnetFlavor.SaveAsync(path, models.Ml, models.Classifier, models.SensorSchema);
        Assert.Equal(
            """[{"name": "Features", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]""",
            saved.Signature!.Inputs!.ToJson());
        Assert.Equal(
            """[{"type": "boolean", "name": "PredictedLabel", "required": true}, {"type": "float", "name": "Score", "required": true}, {"type": "float", "name": "Probability", "required": true}]""",
            saved.Signature.Outputs!.ToJson());

        using var runtime = Assert.IsType<MlnetModelRuntime>(await new ModelRuntimeLoader().LoadAsync(path));
        var rows = models.Sensors.Take(80).ToList();
        var input = new ModelInput(ModelTensor.Create<float>("Features", rows.SelectMany(r => r.Features).ToArray(), rows.Count, 4));
        var engine = models.Ml.Model.CreatePredictionEngine<SensorInput, AlarmOutput>(models.Classifier);
        var expected = rows.Select(r => engine.Predict(new SensorInput { Features = r.Features })).ToList();

        foreach (var output in new[] { runtime.PredictPerRow(input), runtime.PredictBatch(input) })
        {
            Assert.Equal(expected.Select(e => e.PredictedLabel), ((ModelTensor<bool>)output["PredictedLabel"]).Span.ToArray());
            Assert.Equal(expected.Select(e => e.Score), ((ModelTensor<float>)output["Score"]).Span.ToArray());
            Assert.Equal(expected.Select(e => e.Probability), ((ModelTensor<float>)output["Probability"]).Span.ToArray());
        }
    }

    [Fact]
    public async Task Text_and_bool_columns_reach_the_model()
    {
        var (model, schema, rows) = models.Rent;
        var path = models.NewPath("rent");
        var saved = await MlnetFlavor.SaveAsync(path, models.Ml, model, schema);
        Assert.Equal(
            """[{"type": "string", "name": "City", "required": true}, {"type": "float", "name": "Size", "required": true}, {"type": "boolean", "name": "Furnished", "required": true}]""",
            saved.Signature!.Inputs!.ToJson());

        using var runtime = Assert.IsType<MlnetModelRuntime>(await new ModelRuntimeLoader().LoadAsync(path));
        var sample = rows.Take(70).ToList();
        var input = new ModelInput(
            ModelTensor.Column("City", sample.Select(r => r.City).ToArray()),
            ModelTensor.Column("Size", sample.Select(r => r.Size).ToArray()),
            ModelTensor.Column("Furnished", sample.Select(r => r.Furnished).ToArray()));
        var engine = models.Ml.Model.CreatePredictionEngine<RentInput, PriceOutput>(model);
        var expected = sample.Select(r => engine.Predict(new RentInput { City = r.City, Size = r.Size, Furnished = r.Furnished }).Score).ToArray();

        Assert.Equal(expected, ((ModelTensor<float>)runtime.PredictPerRow(input)["Score"]).Span.ToArray());
        Assert.Equal(expected, ((ModelTensor<float>)runtime.PredictBatch(input)["Score"]).Span.ToArray());
        Assert.NotEqual(expected[0], expected[1]); // the city changes the price, so the text really arrived
    }

    [Fact]
    public async Task Enforces_the_signature_before_scoring()
    {
        using var runtime = await SaveAndLoadRegression();

        var missing = Assert.Throws<MlflowException>(() => runtime.Predict(new ModelInput(
            ModelTensor.Column("Size", new[] { 1f }), ModelTensor.Column("Rooms", new[] { 1f }))));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, missing.Code);
        Assert.Equal("Model is missing inputs ['Age'].", missing.Message);

        var wrongType = Assert.Throws<MlflowException>(() => runtime.Predict(new ModelInput(
            ModelTensor.Column("Size", new[] { 1.0 }), ModelTensor.Column("Rooms", new[] { 1f }), ModelTensor.Column("Age", new[] { 1f }))));
        Assert.Contains("column 'Size'. Can not safely convert float64 to float", wrongType.Message, StringComparison.Ordinal);

        // Integers widen safely to float, as MLflow allows.
        var widened = runtime.Predict(new ModelInput(
            ModelTensor.Column("Size", new short[] { 100 }), ModelTensor.Column("Rooms", new short[] { 3 }), ModelTensor.Column("Age", new short[] { 10 })));
        Assert.Equal(1, widened.RowCount);
    }

    [Fact]
    public async Task Writes_an_input_example_as_MLflow_does()
    {
        var path = models.NewPath("houses");
        var example = HouseColumns(models.Houses.Take(2).ToList());
        var saved = await MlnetFlavor.SaveAsync(path, models.Ml, models.Regression, models.HouseSchema, new ModelSaveOptions { InputExample = example });

        Assert.Equal("dataframe", saved.SavedInputExampleInfo!.Type);
        Assert.Equal("split", saved.SavedInputExampleInfo.PandasOrient);
        using var doc = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(path, "input_example.json")));
        Assert.Equal(["Size", "Rooms", "Age"], doc.RootElement.GetProperty("columns").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(models.Houses[1].Rooms, doc.RootElement.GetProperty("data")[1][1].GetSingle());
        using var serving = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(path, "serving_input_example.json")));
        Assert.Equal(2, serving.RootElement.GetProperty("dataframe_split").GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Refuses_to_overwrite_an_existing_folder()
    {
        var path = models.NewPath("houses");
        await MlnetFlavor.SaveAsync(path, models.Ml, models.Regression, models.HouseSchema);
        var e = await Assert.ThrowsAsync<MlflowException>(() => MlnetFlavor.SaveAsync(path, models.Ml, models.Regression, models.HouseSchema));
        Assert.Equal(ErrorCode.RESOURCE_ALREADY_EXISTS, e.Code);
    }
}
