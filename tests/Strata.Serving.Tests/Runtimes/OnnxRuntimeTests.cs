using Microsoft.ML;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Runtimes;

public class OnnxRuntimeTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    private IDataView HouseInputs(int count) =>
        models.Ml.Data.LoadFromEnumerable(models.Houses.Take(count).Select(h => new HouseInput { Size = h.Size, Rooms = h.Rooms, Age = h.Age }));

    private static ModelInput HouseTensors(IReadOnlyList<HouseRow> rows, bool asColumns = false)
    {
        int[] shape = asColumns ? [rows.Count] : [rows.Count, 1];
        return new ModelInput(
            ModelTensor.Create<float>("Size", rows.Select(r => r.Size).ToArray(), shape),
            ModelTensor.Create<float>("Rooms", rows.Select(r => r.Rooms).ToArray(), shape),
            ModelTensor.Create<float>("Age", rows.Select(r => r.Age).ToArray(), shape));
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])),
                $"row {i}: ML.NET {expected[i]}, ONNX {actual[i]}");
        }
    }

    [Fact]
    public async Task Exported_model_is_written_as_MLflows_onnx_flavor()
    {
        var path = models.NewPath("houses-onnx");
        var saved = await MlnetOnnxExport.SaveAsOnnxAsync(path, models.Ml, models.Regression, HouseInputs(10),
            new ModelSaveOptions { RunId = "0123456789abcdef0123456789abcdef", ArtifactPath = "model" });

        Assert.Equal(["onnx", "python_function"], saved.Flavors.Keys.Order());
        var onnx = saved.Flavor("onnx")!;
        Assert.Equal(["code", "data", "onnx_version", "providers"], onnx.Keys.Order());
        Assert.Null(onnx["code"]);
        Assert.Equal("model.onnx", onnx["data"]);
        Assert.Matches(@"^1\.\d+\.0$", (string)onnx["onnx_version"]!);
        Assert.Equal(["CUDAExecutionProvider", "CPUExecutionProvider"], ((IEnumerable<object?>)onnx["providers"]!).Cast<string>());
        var pyfunc = saved.Flavor("python_function")!;
        Assert.Equal(["data", "env", "loader_module", "python_version"], pyfunc.Keys.Order());
        Assert.Equal("mlflow.onnx", pyfunc["loader_module"]);
        Assert.Equal("model.onnx", pyfunc["data"]);
        var env = (IReadOnlyDictionary<string, object?>)pyfunc["env"]!;
        Assert.Equal("conda.yaml", env["conda"]);
        Assert.Equal("python_env.yaml", env["virtualenv"]);
        foreach (var file in new[] { "MLmodel", "model.onnx", "conda.yaml", "python_env.yaml", "requirements.txt" })
        {
            Assert.True(File.Exists(Path.Combine(path, file)), file);
        }

        Assert.Contains($"onnxruntime=={OnnxFlavor.OnnxRuntimeVersion}", await File.ReadAllTextAsync(Path.Combine(path, "requirements.txt")), StringComparison.Ordinal);
        var conda = (IReadOnlyDictionary<string, object?>)YamlTree.Parse(await File.ReadAllTextAsync(Path.Combine(path, "conda.yaml")))!;
        Assert.Equal("mlflow-env", conda["name"]);

        // Signature from the graph: ML.NET feeds each scalar column as an [-1, 1] tensor and returns Score.output.
        Assert.True(saved.Signature!.Inputs!.IsTensorBased);
        Assert.Equal(["Size", "Rooms", "Age"], saved.Signature.Inputs.Names);
        Assert.All(saved.Signature.Inputs.Tensors, t => Assert.Equal([-1L, 1], t.Shape));
        Assert.Equal(
            """[{"name": "Score.output", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]""",
            saved.Signature.Outputs!.ToJson());
    }

    [Fact]
    public async Task Onnx_runtime_scores_match_MLNET()
    {
        var path = models.NewPath("houses-onnx");
        await MlnetOnnxExport.SaveAsOnnxAsync(path, models.Ml, models.Regression, HouseInputs(10));
        using var runtime = Assert.IsType<OnnxModelRuntime>(await new ModelRuntimeLoader().LoadAsync(path));
        var expected = models.ReferencePrices(120);
        var rows = models.Houses.Take(120).ToList();

        var batch = runtime.Predict(HouseTensors(rows));
        Assert.Equal([120, 1], batch["Score.output"].Shape);
        AssertClose(expected, ((ModelTensor<float>)batch["Score.output"]).Span);

        // One row at a time, and fed as plain columns (reshaped to [n, 1] without copying).
        var single = rows.Select(r => ((ModelTensor<float>)runtime.Predict(HouseTensors([r], asColumns: true))["Score.output"]).Span[0]).ToArray();
        AssertClose(expected, single);
    }

    [Fact]
    public async Task Onnx_classifier_matches_MLNET_labels_and_probabilities()
    {
        var path = models.NewPath("sensors-onnx");
        var inputs = models.Sensors.Take(60).Select(s => new SensorInput { Features = s.Features }).ToList();
        await MlnetOnnxExport.SaveAsOnnxAsync(path, models.Ml, models.Classifier, models.Ml.Data.LoadFromEnumerable(inputs));
        using var runtime = await new ModelRuntimeLoader().LoadAsync(path);

        var output = runtime.Predict(new ModelInput(ModelTensor.Create<float>("Features", inputs.SelectMany(i => i.Features).ToArray(), inputs.Count, 4)));
        var engine = models.Ml.Model.CreatePredictionEngine<SensorInput, AlarmOutput>(models.Classifier);
        var expected = inputs.Select(engine.Predict).ToList();

        Assert.Equal(["PredictedLabel.output", "Score.output", "Probability.output"], output.Tensors.Select(t => t.Name));
        Assert.Equal(expected.Select(e => e.PredictedLabel), ((ModelTensor<bool>)output["PredictedLabel.output"]).Span.ToArray());
        AssertClose(expected.Select(e => e.Probability).ToArray(), ((ModelTensor<float>)output["Probability.output"]).Span);
        AssertClose(expected.Select(e => e.Score).ToArray(), ((ModelTensor<float>)output["Score.output"]).Span);
    }

    [Fact]
    public async Task Loads_a_model_folder_as_MLflows_python_client_writes_it()
    {
        // The MLmodel below is laid out as mlflow.onnx.save_model writes it: an unnamed input tensor spec and a
        // bare env file name, as older MLflow versions do.
        var exported = models.NewPath("sensors-onnx");
        await MlnetOnnxExport.SaveAsOnnxAsync(exported, models.Ml, models.Classifier,
            models.Ml.Data.LoadFromEnumerable(models.Sensors.Take(5).Select(s => new SensorInput { Features = s.Features })));
        var path = models.NewPath("python-written");
        Directory.CreateDirectory(path);
        File.Copy(Path.Combine(exported, "model.onnx"), Path.Combine(path, "model.onnx"));
        await File.WriteAllTextAsync(Path.Combine(path, "MLmodel"), """
            artifact_path: onnx_model
            flavors:
              onnx:
                code: null
                data: model.onnx
                onnx_version: 1.15.0
                providers:
                - CUDAExecutionProvider
                - CPUExecutionProvider
              python_function:
                data: model.onnx
                env: conda.yaml
                loader_module: mlflow.onnx
                python_version: 3.11.4
            mlflow_version: 2.9.2
            model_uuid: 3f1e0bd4b1e54e0c8f5d2a4cb1a6f0d2
            run_id: 5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d
            signature:
              inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'
              outputs: '[{"name": "Probability.output", "type": "tensor", "tensor-spec": {"dtype":
                "float32", "shape": [-1, 1]}}]'
              params: null
            utc_time_created: '2024-01-15 10:22:33.123456'

            """);

        using var runtime = Assert.IsType<OnnxModelRuntime>(await new ModelRuntimeLoader().LoadAsync(path));
        Assert.Equal("5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d", runtime.Model.RunId);
        var features = models.Sensors[0].Features;
        // Unnamed spec: the single input feeds the graph whatever it is called; only the declared output comes back.
        var output = runtime.Predict(new ModelInput(ModelTensor.Create<float>("input-0", features, 1, 4)));
        var expected = models.Ml.Model.CreatePredictionEngine<SensorInput, AlarmOutput>(models.Classifier).Predict(new SensorInput { Features = features });
        var probability = Assert.Single(output.Tensors);
        AssertClose([expected.Probability], ((ModelTensor<float>)probability).Span);
    }

    /// <summary>A model folder with just the onnx flavor (no signature) around <paramref name="onnx"/>, loaded.</summary>
    private async Task<OnnxModelRuntime> LoadTinyAsync(string name, byte[] onnx)
    {
        var path = models.NewPath(name);
        Directory.CreateDirectory(path);
        await File.WriteAllBytesAsync(Path.Combine(path, "model.onnx"), onnx);
        await File.WriteAllTextAsync(Path.Combine(path, "MLmodel"), """
            flavors:
              onnx:
                data: model.onnx
                onnx_version: 1.15.0

            """);
        return Assert.IsType<OnnxModelRuntime>(await new ModelRuntimeLoader().LoadAsync(path));
    }

    [Fact]
    public async Task A_graph_whose_output_is_not_the_declared_size_is_still_answered()
    {
        // Outputs declared [-1, k] are preallocated from the row count. This graph declares Y as [N, 3] but reshapes X
        // to whatever S says, which ONNX Runtime cannot know before the call: it refuses the preallocated buffer, the
        // call is repeated with outputs it sizes itself, and every later call goes that way too.
        using var runtime = await LoadTinyAsync("lying-onnx", TinyOnnxModel.Build(
            "Reshape", [("X", TinyOnnxModel.Float, [-1, 2]), ("S", TinyOnnxModel.Int64, [2])], [-1, 3]));
        for (var call = 0; call < 2; call++)
        {
            var output = runtime.Predict(new ModelInput(
                ModelTensor.Create<float>("X", new[] { 1f, 2f, 3f, 4f + call }, 2, 2),
                ModelTensor.Create<long>("S", new[] { 4L, 1L }, 2)));
            var y = (ModelTensor<float>)Assert.Single(output.Tensors);
            Assert.Equal([4, 1], y.Shape);
            Assert.Equal([1f, 2f, 3f, 4f + call], y.Span.ToArray());
        }
    }

    [Fact]
    public async Task A_one_row_call_on_a_graph_whose_output_is_not_the_declared_size_is_still_answered()
    {
        // Every value is declared [-1, fixed...], so one-row calls go through reused slots; but Y is declared [N, 3]
        // while the graph reshapes X to whatever S says. The slot's run is refused, the call is repeated with values
        // made for it, and later calls go that way too.
        using var runtime = await LoadTinyAsync("lying-row-onnx", TinyOnnxModel.Build(
            "Reshape", [("X", TinyOnnxModel.Float, [-1, 2]), ("S", TinyOnnxModel.Int64, [-1])], [-1, 3]));
        for (var call = 0; call < 2; call++)
        {
            var output = runtime.Predict(new ModelInput(
                ModelTensor.Create<float>("X", new[] { 1f + call, 2f }, 1, 2),
                ModelTensor.Create<long>("S", new[] { 2L }, 1)));
            var y = (ModelTensor<float>)Assert.Single(output.Tensors);
            Assert.Equal([2], y.Shape);
            Assert.Equal([1f + call, 2f], y.Span.ToArray());
        }
    }

    [Fact]
    public async Task Concurrent_one_row_calls_each_get_their_own_answer()
    {
        // One-row calls share pooled slots: under concurrency no call may see another's row, and an answer must stay
        // the same after its slot has served other calls (so every answer is checked once all calls are done).
        using var runtime = await LoadTinyAsync("slots-onnx", TinyOnnxModel.Build("Identity", [("X", TinyOnnxModel.Float, [-1, 2])], [-1, 2]));
        var answers = new ModelTensor<float>[4_000];
        await Parallel.ForAsync(0, answers.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (i, _) =>
        {
            answers[i] = (ModelTensor<float>)runtime.Predict(new ModelInput(ModelTensor.Create<float>("X", new float[] { i, -i }, 1, 2))).Tensors[0];
            return ValueTask.CompletedTask;
        });
        var wrong = answers.Where((y, i) => y.Shape is not [1, 2] || y.Span[0] != i || y.Span[1] != -i).Count();
        Assert.Equal(0, wrong);
    }

    [Fact]
    public async Task A_graph_whose_output_is_the_declared_size_is_answered_in_place()
    {
        using var runtime = await LoadTinyAsync("honest-onnx", TinyOnnxModel.Build("Identity", [("X", TinyOnnxModel.Float, [-1, 2])], [-1, 2]));
        foreach (var rows in new[] { 1, 3 })
        {
            var values = Enumerable.Range(0, rows * 2).Select(i => (float)i).ToArray();
            var y = (ModelTensor<float>)Assert.Single(runtime.Predict(new ModelInput(ModelTensor.Create<float>("X", values, rows, 2))).Tensors);
            Assert.Equal([rows, 2], y.Shape);
            Assert.Equal(values, y.Span.ToArray());
        }
    }

    [Fact]
    public async Task Rejects_a_tensor_of_the_wrong_shape_naming_it()
    {
        var path = models.NewPath("sensors-onnx");
        await MlnetOnnxExport.SaveAsOnnxAsync(path, models.Ml, models.Classifier,
            models.Ml.Data.LoadFromEnumerable(models.Sensors.Take(5).Select(s => new SensorInput { Features = s.Features })));
        using var runtime = await new ModelRuntimeLoader().LoadAsync(path);

        var e = Assert.Throws<MlflowException>(() => runtime.Predict(new ModelInput(ModelTensor.Create<float>("Features", new float[10], 2, 5))));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Equal("Shape of input 'Features' is (2, 5), which does not match the expected shape (-1, 4).", e.Message);
    }

    [Fact]
    public async Task Writes_a_tensor_input_example_as_an_inputs_body()
    {
        var path = models.NewPath("sensors-onnx");
        var example = new ModelInput(ModelTensor.Create<float>("Features", new[] { 0.5f, 1f, 0f, 0.25f, 1f, 1f, 1f, 1f }, 2, 4));
        var saved = await MlnetOnnxExport.SaveAsOnnxAsync(path, models.Ml, models.Classifier,
            models.Ml.Data.LoadFromEnumerable(models.Sensors.Take(5).Select(s => new SensorInput { Features = s.Features })),
            new ModelSaveOptions { InputExample = example });

        Assert.Equal("ndarray", saved.SavedInputExampleInfo!.Type);
        Assert.Null(saved.SavedInputExampleInfo.PandasOrient);
        Assert.Equal("""{"inputs":{"Features":[[0.5,1,0,0.25],[1,1,1,1]]}}""", await File.ReadAllTextAsync(Path.Combine(path, "input_example.json")));
        using var serving = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(path, "serving_input_example.json")));
        Assert.Equal(4, serving.RootElement.GetProperty("inputs").GetProperty("Features")[1].GetArrayLength());
        Assert.Contains(
            "saved_input_example_info:\n  artifact_path: input_example.json\n  serving_input_path: serving_input_example.json\n  type: ndarray\n",
            await File.ReadAllTextAsync(Path.Combine(path, "MLmodel")),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_column_signature_feeds_a_graph_of_column_tensors()
    {
        var exported = models.NewPath("houses-onnx");
        await MlnetOnnxExport.SaveAsOnnxAsync(exported, models.Ml, models.Regression, HouseInputs(5));
        var path = models.NewPath("houses-columns");
        Directory.CreateDirectory(path);
        File.Copy(Path.Combine(exported, "model.onnx"), Path.Combine(path, "model.onnx"));
        var model = (await ModelFolder.ReadMlModelAsync(exported)) with
        {
            Signature = new ModelSignature(
                ModelSchema.FromColumns([new ColumnSpec(DataType.Float, "Size"), new ColumnSpec(DataType.Float, "Rooms"), new ColumnSpec(DataType.Float, "Age")]),
                null),
        };
        await File.WriteAllTextAsync(Path.Combine(path, "MLmodel"), model.ToYaml());

        using var runtime = await new ModelRuntimeLoader().LoadAsync(path);
        Assert.False(runtime.InputSchema.IsTensorBased);
        var output = runtime.Predict(HouseTensors(models.Houses.Take(10).ToList(), asColumns: true));
        AssertClose(models.ReferencePrices(10), ((ModelTensor<float>)output["Score.output"]).Span);
    }

    [Fact]
    public async Task Rejects_bytes_that_are_not_an_onnx_model()
    {
        var e = await Assert.ThrowsAsync<MlflowException>(() => OnnxFlavor.SaveAsync(models.NewPath("junk"), new byte[] { 1, 2, 3, 4 }));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Empty(Directory.GetDirectories(models.Root, ".junk*"));
    }
}
