using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Tests.Models;

public class ModelRuntimeLoaderTests(TrainedModels models) : IClassFixture<TrainedModels>
{
    [Fact]
    public async Task A_folder_without_MLmodel_is_not_a_model()
    {
        var path = models.NewPath("no-mlmodel");
        Directory.CreateDirectory(path);
        await File.WriteAllTextAsync(Path.Combine(path, "model.pkl"), "x");

        var e = await Assert.ThrowsAsync<MlflowException>(() => new ModelRuntimeLoader().LoadAsync(path));
        Assert.Equal(ErrorCode.RESOURCE_DOES_NOT_EXIST, e.Code);
        Assert.Contains("Could not find an 'MLmodel' configuration file", e.Message, StringComparison.Ordinal);
        Assert.Contains("model.pkl", e.Message, StringComparison.Ordinal);

        var missing = await Assert.ThrowsAsync<MlflowException>(() => new ModelRuntimeLoader().LoadAsync(models.NewPath("absent")));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_without_a_servable_flavor_names_what_it_has_and_what_Strata_serves()
    {
        var path = models.NewPath("sklearn");
        Directory.CreateDirectory(path);
        await File.WriteAllTextAsync(Path.Combine(path, "MLmodel"), """
            flavors:
              python_function:
                loader_module: mlflow.sklearn
                model_path: model.pkl
                python_version: 3.10.12
              sklearn:
                pickled_model: model.pkl
                serialization_format: cloudpickle
                sklearn_version: 1.3.2
            mlflow_version: 2.8.1
            """);

        var e = await Assert.ThrowsAsync<MlflowException>(() => new ModelRuntimeLoader().LoadAsync(path));
        Assert.Equal(ErrorCode.INVALID_PARAMETER_VALUE, e.Code);
        Assert.Contains("has the flavors [python_function, sklearn]", e.Message, StringComparison.Ordinal);
        Assert.Contains("one of the flavors [mlnet, onnx, dotnet_function]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flavor_whose_file_is_missing_says_which_file()
    {
        var path = models.NewPath("broken");
        Directory.CreateDirectory(path);
        await File.WriteAllTextAsync(Path.Combine(path, "MLmodel"), "flavors:\n  mlnet:\n    model_data: model.zip\n");

        var e = await Assert.ThrowsAsync<MlflowException>(() => new ModelRuntimeLoader().LoadAsync(path));
        Assert.Contains("'model.zip', which is not in the model folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prefers_mlnet_when_a_folder_has_both_flavors()
    {
        var path = models.NewPath("both");
        await MlnetFlavor.SaveAsync(path, models.Ml, models.Regression, models.HouseSchema);
        var onnxOnly = models.NewPath("onnx");
        await MlnetOnnxExport.SaveAsOnnxAsync(onnxOnly, models.Ml, models.Regression,
            models.Ml.Data.LoadFromEnumerable(models.Houses.Take(3).Select(h => new HouseInput { Size = h.Size })));
        File.Copy(Path.Combine(onnxOnly, "model.onnx"), Path.Combine(path, "model.onnx"));
        var model = await ModelFolder.ReadMlModelAsync(path);
        var both = model with
        {
            Flavors = new Dictionary<string, IReadOnlyDictionary<string, object?>>(model.Flavors)
            {
                ["onnx"] = new Dictionary<string, object?> { ["data"] = "model.onnx" },
            },
        };

        using var runtime = new ModelRuntimeLoader().Load(path, both);
        Assert.Equal("mlnet", runtime.Flavor);
        using var onnx = new ModelRuntimeLoader([new OnnxFlavorLoader()]).Load(path, both with { Signature = null });
        Assert.IsType<OnnxModelRuntime>(onnx);
    }
}
