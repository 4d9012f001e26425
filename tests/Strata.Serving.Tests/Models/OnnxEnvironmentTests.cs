using Strata.Core.Models;
using Strata.Serving.Models;

namespace Strata.Serving.Tests.Models;

/// <summary>
/// The environment files of the onnx flavor must be installable by pip for the recorded Python, since
/// `mlflow models serve` and virtualenv restores build exactly that environment.
/// </summary>
public sealed class OnnxEnvironmentTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("strata-onnx-env-");

    public void Dispose() => _root.Delete(recursive: true);

    // IR version 8, written by onnx 1.12 (Python).
    private static byte[] LinearModel() => File.ReadAllBytes(Path.Combine(PythonOnnxModelTests.Folder, "model.onnx"));

    [Theory]
    [InlineData("3.8.18", "1.0.0")]
    [InlineData("3.10.12", "1.12.0")]
    [InlineData("3.11.9", "1.13.0")]
    [InlineData("3.12.3", "1.16.0")]
    [InlineData("3.13.1", "1.18.0")]
    [InlineData("garbage", "1.0.0")]
    public void Onnx_floor_follows_the_first_release_with_wheels_for_the_python(string python, string floor) =>
        Assert.Equal(floor, OnnxIrVersion.OnnxReleaseForPython(python));

    [Fact]
    public async Task Default_environment_pins_releases_that_install_on_the_recorded_python()
    {
        var path = Path.Combine(_root.FullName, "default");
        var saved = await OnnxFlavor.SaveAsync(path, LinearModel());

        Assert.Equal(8, OnnxIrVersion.Read(LinearModel()));
        var python = (string)saved.Flavor("python_function")!["python_version"]!;
        Assert.Equal("3.12.3", python);
        // IR 8 alone would give onnx 1.10.0, which has no wheels past Python 3.9.
        Assert.Equal("1.16.0", saved.Flavor("onnx")!["onnx_version"]);
        var requirements = (await File.ReadAllLinesAsync(Path.Combine(path, "requirements.txt"))).ToList();
        Assert.Contains("onnx==1.16.0", requirements);
        Assert.Contains($"onnxruntime=={OnnxFlavor.OnnxRuntimeVersion}", requirements);
        var pythonEnv = (IReadOnlyDictionary<string, object?>)YamlTree.Parse(await File.ReadAllTextAsync(Path.Combine(path, "python_env.yaml")))!;
        Assert.Equal(python, pythonEnv["python"]);
        var conda = await File.ReadAllTextAsync(Path.Combine(path, "conda.yaml"));
        Assert.Contains($"python={python}", conda, StringComparison.Ordinal);
        Assert.Contains("onnx==1.16.0", conda, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Older_python_gets_its_own_floor_and_an_explicit_version_wins()
    {
        var py310 = await OnnxFlavor.SaveAsync(Path.Combine(_root.FullName, "py310"), LinearModel(),
            onnxOptions: new OnnxSaveOptions { PythonVersion = "3.10.12" });
        Assert.Equal("1.12.0", py310.Flavor("onnx")!["onnx_version"]);

        var pinned = await OnnxFlavor.SaveAsync(Path.Combine(_root.FullName, "pinned"), LinearModel(),
            onnxOptions: new OnnxSaveOptions { OnnxVersion = "1.17.0" });
        Assert.Equal("1.17.0", pinned.Flavor("onnx")!["onnx_version"]);
        Assert.Contains("onnx==1.17.0", await File.ReadAllLinesAsync(Path.Combine(_root.FullName, "pinned", "requirements.txt")));
    }

    [Fact]
    public async Task Strata_writes_only_flavor_keys_MLflows_python_writer_also_writes()
    {
        var saved = await OnnxFlavor.SaveAsync(Path.Combine(_root.FullName, "keys"), LinearModel());
        var python = MlModel.Parse(await File.ReadAllTextAsync(Path.Combine(PythonOnnxModelTests.Folder, MlModel.FileName)));

        Assert.Equal(python.Flavors.Keys.Order(StringComparer.Ordinal), saved.Flavors.Keys.Order(StringComparer.Ordinal));
        foreach (var (flavor, config) in saved.Flavors)
        {
            var theirs = python.Flavor(flavor)!;
            foreach (var (key, value) in config)
            {
                Assert.True(theirs.ContainsKey(key), $"{flavor}.{key} is not written by mlflow.onnx");
                if (value is null or string)
                {
                    Assert.True(theirs[key] is null == value is null && theirs[key] is null or string, $"{flavor}.{key}: {value} vs {theirs[key]}");
                }
            }
        }

        Assert.Equal(python.Flavor("onnx")!["providers"] as IEnumerable<object?>, saved.Flavor("onnx")!["providers"] as IEnumerable<object?>);
        Assert.Equal(python.Flavor("python_function")!["env"] as IReadOnlyDictionary<string, object?>,
            saved.Flavor("python_function")!["env"] as IReadOnlyDictionary<string, object?>);
        Assert.Equal(python.Flavor("python_function")!["loader_module"], saved.Flavor("python_function")!["loader_module"]);
    }
}
