using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Core.Tests.Models;

public class MlModelYamlTests
{
    // Laid out as MLflow 2.x writes an onnx model (keys sorted by PyYAML, signature JSON in single quotes,
    // the long strings folded at 80 columns).
    private const string PythonOnnxMlModel = """
        artifact_path: model
        flavors:
          onnx:
            code: null
            data: model.onnx
            onnx_version: 1.14.0
            providers:
            - CUDAExecutionProvider
            - CPUExecutionProvider
          python_function:
            data: model.onnx
            env:
              conda: conda.yaml
              virtualenv: python_env.yaml
            loader_module: mlflow.onnx
            python_version: 3.10.12
        mlflow_version: 2.8.1
        model_size_bytes: 4631
        model_uuid: a369e776349942f4b3040003169aa534
        run_id: 9f3c0d3e5a7b4c2d8e1f0a9b8c7d6e5f
        saved_input_example_info:
          artifact_path: input_example.json
          serving_input_path: serving_input_example.json
          type: ndarray
        signature:
          inputs: '[{"name": "input", "type": "tensor", "tensor-spec": {"dtype": "float32",
            "shape": [-1, 1, 28, 28]}}]'
          outputs: '[{"name": "output", "type": "tensor", "tensor-spec": {"dtype": "float32",
            "shape": [-1, 10]}}]'
          params: null
        utc_time_created: '2023-12-07 02:46:07.555576'

        """;

    [Fact]
    public void Parses_an_onnx_MLmodel_as_MLflow_writes_it()
    {
        var model = MlModel.Parse(PythonOnnxMlModel);

        Assert.Equal("model", model.ArtifactPath);
        Assert.Equal("9f3c0d3e5a7b4c2d8e1f0a9b8c7d6e5f", model.RunId);
        Assert.Equal("a369e776349942f4b3040003169aa534", model.ModelUuid);
        Assert.Equal("2.8.1", model.MlflowVersion);
        Assert.Equal("2023-12-07 02:46:07.555576", model.UtcTimeCreated);
        Assert.Equal(4631, model.ModelSizeBytes);
        Assert.Equal(["onnx", "python_function"], model.Flavors.Keys.Order());

        var onnx = model.Flavor("onnx")!;
        Assert.Null(onnx["code"]);
        Assert.Equal("model.onnx", onnx["data"]);
        Assert.Equal("1.14.0", onnx["onnx_version"]);
        Assert.Equal(["CUDAExecutionProvider", "CPUExecutionProvider"], ((IEnumerable<object?>)onnx["providers"]!).Cast<string>());
        var pyfunc = model.Flavor("python_function")!;
        Assert.Equal("mlflow.onnx", pyfunc["loader_module"]);
        Assert.Equal("3.10.12", pyfunc["python_version"]);
        Assert.Equal("conda.yaml", ((IReadOnlyDictionary<string, object?>)pyfunc["env"]!)["conda"]);

        var input = Assert.Single(model.Signature!.Inputs!.Tensors);
        Assert.True(model.Signature.Inputs.IsTensorBased);
        Assert.Equal("input", input.Name);
        Assert.Equal(TensorElementType.Float32, input.Type);
        Assert.Equal([-1L, 1, 28, 28], input.Shape);
        Assert.Equal([-1L, 10], model.Signature.Outputs!.Tensors[0].Shape);
        Assert.Null(model.Signature.Params);
        Assert.Equal("ndarray", model.SavedInputExampleInfo!.Type);
        Assert.Equal("serving_input_example.json", model.SavedInputExampleInfo.ServingInputPath);
        Assert.Null(model.SavedInputExampleInfo.PandasOrient);
    }

    [Fact]
    public void Rewrites_an_MLflow_file_byte_for_byte()
    {
        var model = MlModel.Parse(PythonOnnxMlModel);
        Assert.Equal(PythonOnnxMlModel, model.ToYaml());
    }

    [Fact]
    public void Round_trips_every_modelled_key_and_keeps_unknown_ones()
    {
        var model = new MlModel
        {
            ArtifactPath = "mlflow-artifacts:/0/models/m-0123/artifacts",
            ModelId = "m-0123456789abcdef0123456789abcdef",
            ModelUuid = "m-0123456789abcdef0123456789abcdef",
            MlflowVersion = "3.6.0",
            UtcTimeCreated = MlModel.FormatTime(new DateTime(2025, 11, 19, 8, 30, 1, 250, DateTimeKind.Utc)),
            Flavors = new Dictionary<string, IReadOnlyDictionary<string, object?>>
            {
                ["mlnet"] = new Dictionary<string, object?> { ["model_data"] = "model.zip", ["mlnet_version"] = "5.0.1", ["python_version"] = "3.10" },
            },
            Signature = new ModelSignature(
                ModelSchema.FromColumns([new ColumnSpec(DataType.Double, "x"), new ColumnSpec(DataType.String, "city", Required: false),
                    new ColumnSpec(new ArrayColumnType(ColumnType.Of(DataType.Float)), "v")]),
                ModelSchema.FromTensors([new TensorSpec(TensorElementType.Float64, [-1])]),
                [new ParamSpec("temperature", ColumnType.Of(DataType.Double), 0.5), new ParamSpec("stops", ColumnType.Of(DataType.String), new List<object?> { "a" }, [-1])]),
            SavedInputExampleInfo = new SavedInputExampleInfo { Type = "dataframe", PandasOrient = "split", ServingInputPath = "serving_input_example.json" },
            Metadata = new Dictionary<string, object?> { ["team"] = "fraud", ["yes"] = "no" },
            Extra = new Dictionary<string, object?> { ["databricks_runtime"] = "14.3", ["is_signature_from_type_hint"] = false },
        };

        var yaml = model.ToYaml();
        var back = MlModel.Parse(yaml);

        Assert.Equal(yaml, back.ToYaml());
        Assert.Contains("utc_time_created: '2025-11-19 08:30:01.250000'", yaml, StringComparison.Ordinal);
        Assert.Contains("python_version: '3.10'", yaml, StringComparison.Ordinal); // would read back as a float unquoted
        Assert.Contains("""inputs: '[{"type": "double", "name": "x", "required": true}, {"type": "string",""", yaml, StringComparison.Ordinal);
        Assert.Equal("3.10", back.Flavor("mlnet")!["python_version"]);
        Assert.Equal("no", back.Metadata!["yes"]);
        Assert.Equal(false, back.Extra["is_signature_from_type_hint"]);
        Assert.Equal("14.3", back.Extra["databricks_runtime"]);
        Assert.Null(back.RunId);
        Assert.DoesNotContain("run_id", yaml, StringComparison.Ordinal);
        Assert.Equal(model.Signature.Inputs!.ToJson(), back.Signature!.Inputs!.ToJson());
        Assert.False(back.Signature.Inputs.Columns[1].Required);
        Assert.Equal(
            """[{"name": "temperature", "type": "double", "default": 0.5, "shape": null}, {"name": "stops", "type": "string", "default": ["a"], "shape": [-1]}]""",
            SignatureJson.WriteParams(back.Signature.Params!));
        Assert.Equal("split", back.SavedInputExampleInfo!.PandasOrient);
    }

    [Fact]
    public void Tolerates_old_layouts_and_unknown_keys()
    {
        var model = MlModel.Parse("""
            flavors:
              python_function:
                env: conda.yaml
                loader_module: mlflow.sklearn
                python_version: 3.8
            mlflow_version: 1.30.0
            some_future_key: {a: 1}
            signature:
              inputs: '[{"type": "long"}]'
            utc_time_created: 2021-01-01 00:00:00
            """);

        Assert.Equal("conda.yaml", model.Flavor("python_function")!["env"]);
        Assert.Equal("2021-01-01 00:00:00", model.UtcTimeCreated);
        Assert.Null(model.Signature!.Outputs);
        Assert.Null(model.Signature.Inputs!.Columns[0].Name);
        Assert.True(model.Extra.ContainsKey("some_future_key"));
    }

    [Fact]
    public void Reads_params_schemas_with_the_old_dtype_key()
    {
        var ps = SignatureJson.ReadParams("""[{"name": "k", "dtype": "long", "default": 3, "shape": null}]""");
        Assert.Equal(ColumnType.Of(DataType.Long), ps[0].Type);
        Assert.Equal(3L, ps[0].Default);
    }

    [Theory]
    [InlineData("flavors: [a, b]", "'flavors'")]
    [InlineData("- just a list", "mapping")]
    [InlineData("flavors: {a: 1\n", "Invalid YAML")]
    [InlineData("signature:\n  inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1]}}, {\"type\": \"long\"}]'", "mix")]
    [InlineData("signature:\n  inputs: '[{\"type\": \"decimal\"}]'", "decimal")]
    public void Rejects_malformed_files_with_a_clear_message(string yaml, string expected)
    {
        var e = Assert.Throws<MlflowException>(() => MlModel.Parse(yaml));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
