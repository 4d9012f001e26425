using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Models;

/// <summary>
/// The folder under TestData/python-onnx-model was written by MLflow 2.12.2's <c>mlflow.onnx.save_model</c> (Python,
/// onnx 1.12) from a graph y = X @ W + b built with <c>onnx.helper</c>; see tests/compat/python_onnx_roundtrip.py.
/// </summary>
public class PythonOnnxModelTests
{
    public static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "TestData", "python-onnx-model");

    // The weights of the graph the script builds.
    private static readonly float[,] W = { { 0.5f }, { -1.25f }, { 2.0f } };
    private const float B = 0.75f;

    public static float[] Expected(float[] rows)
    {
        var n = rows.Length / 3;
        var y = new float[n];
        for (var i = 0; i < n; i++)
        {
            y[i] = (rows[3 * i] * W[0, 0]) + (rows[(3 * i) + 1] * W[1, 0]) + (rows[(3 * i) + 2] * W[2, 0]) + B;
        }

        return y;
    }

    [Fact]
    public async Task Python_saved_onnx_model_loads_and_predicts_the_linear_math()
    {
        using var runtime = Assert.IsType<OnnxModelRuntime>(await new ModelRuntimeLoader().LoadAsync(Folder));

        Assert.Equal("onnx", runtime.Flavor);
        Assert.Equal("2.12.2", runtime.Model.MlflowVersion);
        Assert.Null(runtime.Model.Signature); // mlflow.onnx 2.12 infers none without an input example
        var input = Assert.Single(runtime.InputSchema.Tensors);
        Assert.Equal("X", input.Name);
        Assert.Equal([-1L, 3], input.Shape);
        Assert.Equal("y", Assert.Single(runtime.OutputSchema.Tensors).Name);

        float[] x = [1, 2, 3, 0, 0, 0, -1.5f, 4, 0.25f, 10, -3, 7.5f];
        var output = runtime.Predict(new ModelInput(ModelTensor.Create<float>("X", x, 4, 3)));

        var y = (ModelTensor<float>)output["y"];
        Assert.Equal([4, 1], y.Shape);
        // The values the Python script printed from numpy: X @ W + b.
        Assert.Equal([4.75f, 0.75f, -4.5f, 24.5f], Expected(x));
        var expected = Expected(x);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - y.Span[i]) <= 1e-6f, $"row {i}: numpy {expected[i]}, ONNX Runtime {y.Span[i]}");
        }
    }

    [Fact]
    public async Task Python_written_MLmodel_reads_and_writes_back_without_losing_keys()
    {
        var original = await File.ReadAllTextAsync(Path.Combine(Folder, MlModel.FileName));
        var model = MlModel.Parse(original);

        Assert.Equal(["onnx", "python_function"], model.Flavors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("mlflow.onnx", model.Flavor("python_function")!["loader_module"]);
        Assert.Equal(148L, model.ModelSizeBytes);
        Assert.Equal("95cca93771ac46d99da632d078d754e5", model.ModelUuid);
        // MLflow 2.12 writes onnx_session_options: null, a key Strata's own writer leaves out; it must survive.
        Assert.True(model.Flavor("onnx")!.ContainsKey("onnx_session_options"));
        Assert.Equal("1.12.0", model.Flavor("onnx")!["onnx_version"]);

        var rewritten = model.ToYaml();
        AssertSameTree(YamlTree.Parse(original), YamlTree.Parse(rewritten), "MLmodel");
        Assert.Equal(rewritten, MlModel.Parse(rewritten).ToYaml());
    }

    private static void AssertSameTree(object? expected, object? actual, string path)
    {
        switch (expected)
        {
            case IReadOnlyDictionary<string, object?> map:
                var other = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(actual);
                Assert.True(map.Keys.Order(StringComparer.Ordinal).SequenceEqual(other.Keys.Order(StringComparer.Ordinal)),
                    $"{path}: keys [{string.Join(", ", map.Keys)}] became [{string.Join(", ", other.Keys)}]");
                foreach (var (key, value) in map)
                {
                    AssertSameTree(value, other[key], $"{path}.{key}");
                }

                break;
            case IReadOnlyList<object?> list:
                var otherList = Assert.IsAssignableFrom<IReadOnlyList<object?>>(actual);
                Assert.Equal(list.Count, otherList.Count);
                for (var i = 0; i < list.Count; i++)
                {
                    AssertSameTree(list[i], otherList[i], $"{path}[{i}]");
                }

                break;
            default:
                Assert.True(Equals(expected, actual), $"{path}: {expected ?? "null"} ({expected?.GetType().Name}) became {actual ?? "null"} ({actual?.GetType().Name})");
                break;
        }
    }
}
