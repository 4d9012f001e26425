using Microsoft.Extensions.Logging.Abstractions;
using Strata.Core.Errors;
using Strata.Serving.Hosting;
using Strata.Serving.Models;
using Strata.Serving.Python;

namespace Strata.Serving.Tests.Python;

/// <summary>Choosing the python_function flavor, and the options that cannot work refused with a message naming the flag.</summary>
public sealed class PythonWorkerOptionsTests
{
    [Theory]
    [InlineData("conda")]
    [InlineData("virtualenv")]
    [InlineData("uv")]
    public void Environment_managers_other_than_local_are_refused(string manager)
    {
        var e = Assert.Throws<ArgumentException>(() => new PythonWorkerOptions { EnvManager = manager }.Validate());
        Assert.Contains($"--env-manager {manager} is not supported", e.Message, StringComparison.Ordinal);
        Assert.Contains("--python", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1000)]
    public void A_worker_count_out_of_range_is_refused(int workers)
    {
        var options = new ServingOptions { Models = [new ServeModelSpec("m", "/tmp/m")], Python = new PythonWorkerOptions { Workers = workers } };
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("--workers", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Native_flavors_come_first_unless_python_is_preferred()
    {
        var native = ModelRuntimeLoader.ForServing(new PythonWorkerOptions(), TimeSpan.FromSeconds(60), NullLoggerFactory.Instance);
        Assert.Equal(["mlnet", "onnx", "dotnet_function", "python_function"], native.ServableFlavors);
        var python = ModelRuntimeLoader.ForServing(new PythonWorkerOptions { PreferPythonFunction = true }, TimeSpan.FromSeconds(60), NullLoggerFactory.Instance);
        Assert.Equal(["python_function", "mlnet", "onnx", "dotnet_function"], python.ServableFlavors);
    }

    [Fact]
    public async Task A_model_without_a_signature_is_not_refused_for_it()
    {
        // As mlflow models serve: no signature is no enforcement, not a refusal; here loading the model is what fails.
        var folder = WriteModel("""
            flavors:
              python_function:
                loader_module: some_loader
            """);
        var loader = ModelRuntimeLoader.ForServing(new PythonWorkerOptions(), TimeSpan.FromSeconds(60), NullLoggerFactory.Instance);
        var e = await Assert.ThrowsAsync<MlflowException>(() => loader.LoadAsync(folder));
        Assert.DoesNotContain("signature", e.Message, StringComparison.Ordinal);
        Assert.Contains("could not load model", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_interpreter_is_named()
    {
        var folder = WriteModel("""
            flavors:
              python_function:
                loader_module: some_loader
            signature:
              inputs: '[{"type": "double", "name": "x", "required": true}]'
            """);
        var options = new PythonWorkerOptions { Python = "/nonexistent/python3", Workers = 1 };
        var loader = ModelRuntimeLoader.ForServing(options, TimeSpan.FromSeconds(60), NullLoggerFactory.Instance, Path.Combine(folder, "scripts"));
        var e = await Assert.ThrowsAsync<MlflowException>(() => loader.LoadAsync(folder));
        Assert.Contains("Could not start the Python interpreter '/nonexistent/python3' (--python)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_loader_module_that_fails_is_reported_with_its_traceback()
    {
        var folder = WriteModel("""
            flavors:
              python_function:
                loader_module: strata_no_such_loader_module
            signature:
              inputs: '[{"type": "double", "name": "x", "required": true}]'
            """);
        var options = new PythonWorkerOptions { Python = PythonModelsFixture.Interpreter, Workers = 1 };
        var loader = ModelRuntimeLoader.ForServing(options, TimeSpan.FromSeconds(60), NullLoggerFactory.Instance, Path.Combine(folder, "scripts"));
        var e = await Assert.ThrowsAsync<MlflowException>(() => loader.LoadAsync(folder));
        Assert.Contains("could not load model", e.Message, StringComparison.Ordinal);
        Assert.Contains("No module named 'strata_no_such_loader_module'", e.Message, StringComparison.Ordinal);
    }

    private static string WriteModel(string mlmodel)
    {
        var folder = Directory.CreateTempSubdirectory("strata-pyopts-").FullName;
        File.WriteAllText(Path.Combine(folder, "MLmodel"), mlmodel);
        return folder;
    }
}
