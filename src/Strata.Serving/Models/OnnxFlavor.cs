using Microsoft.ML.OnnxRuntime;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Models;

/// <summary>
/// The <c>onnx</c> flavor, written key for key as MLflow's own <c>mlflow.onnx</c> writes it, including the
/// <c>python_function</c> section and the environment files, so Python's <c>mlflow.pyfunc.load_model</c> and
/// <c>mlflow models serve</c> take a model Strata saved.
/// </summary>
public static class OnnxFlavor
{
    public const string Name = "onnx";
    public const string ModelFile = "model.onnx";
    public const string PythonFunction = "python_function";

    /// <summary>The ONNX Runtime version in use (the Python <c>onnxruntime</c> release of the same number).</summary>
    public static string OnnxRuntimeVersion { get; } = MlnetFlavor.VersionOf(typeof(InferenceSession).Assembly);

    public static Task<MlModel> SaveAsync(
        string path,
        ReadOnlyMemory<byte> onnxModel,
        ModelSaveOptions? options = null,
        OnnxSaveOptions? onnxOptions = null,
        CancellationToken cancellationToken = default)
    {
        onnxOptions ??= new OnnxSaveOptions();
        options ??= new ModelSaveOptions();
        return ModelFolder.WriteAsync(path, options, async (folder, ct) =>
        {
            ModelSignature signature;
            try
            {
                using var session = new InferenceSession(onnxModel.ToArray());
                signature = new ModelSignature(
                    ModelSchema.FromTensors(session.InputMetadata.Select(kv => OnnxTypes.ToSpec(kv.Key, kv.Value))),
                    ModelSchema.FromTensors(session.OutputMetadata.Where(kv => kv.Value.IsTensor).Select(kv => OnnxTypes.ToSpec(kv.Key, kv.Value))));
            }
            catch (OnnxRuntimeException e)
            {
                throw MlflowException.InvalidParameter($"The bytes given are not an ONNX model ONNX Runtime can load: {e.Message}");
            }

            await File.WriteAllBytesAsync(Path.Combine(folder, ModelFile), onnxModel, ct).ConfigureAwait(false);
            // The release must both read the model's IR version and install on the recorded Python, or
            // `mlflow models serve` / a virtualenv restore of the environment fails at pip install.
            var onnxVersion = onnxOptions.OnnxVersion ?? OnnxIrVersion.Later(
                OnnxIrVersion.OnnxReleaseFor(OnnxIrVersion.Read(onnxModel.Span)), OnnxIrVersion.OnnxReleaseForPython(onnxOptions.PythonVersion));
            await WriteEnvironmentAsync(folder, options.MlflowVersion, onnxVersion, onnxOptions.PythonVersion, ct).ConfigureAwait(false);

            var flavors = new Dictionary<string, IReadOnlyDictionary<string, object?>>
            {
                [Name] = new Dictionary<string, object?>
                {
                    ["code"] = null,
                    ["data"] = ModelFile,
                    ["onnx_version"] = onnxVersion,
                    ["providers"] = onnxOptions.Providers.Cast<object?>().ToList(),
                },
                [PythonFunction] = new Dictionary<string, object?>
                {
                    ["data"] = ModelFile,
                    ["env"] = new Dictionary<string, object?> { ["conda"] = "conda.yaml", ["virtualenv"] = "python_env.yaml" },
                    ["loader_module"] = "mlflow.onnx",
                    ["python_version"] = onnxOptions.PythonVersion,
                },
            };
            return (flavors, signature);
        }, cancellationToken);
    }

    public static OnnxModelRuntime Load(string folder, MlModel model, Microsoft.ML.OnnxRuntime.SessionOptions? sessionOptions = null)
    {
        var config = model.Flavor(Name) ?? throw MlflowException.InvalidParameter($"The model at '{folder}' has no '{Name}' flavor.");
        var file = config.GetValueOrDefault("data") as string
            ?? throw MlflowException.InvalidParameter($"The '{Name}' flavor of '{folder}' has no 'data' entry.");
        var fullPath = Path.GetFullPath(Path.Combine(folder, file));
        if (!File.Exists(fullPath))
        {
            throw MlflowException.NotFound($"The '{Name}' flavor points to '{file}', which is not in the model folder '{folder}'.");
        }

        InferenceSession session;
        try
        {
            if (sessionOptions is null)
            {
                // One intra-op thread: a serving process already runs many requests at once. Measured on a loaded 2-core
                // machine, a single row took a steady 5-6 µs this way and 5-18 µs with ONNX Runtime's own thread pool.
                using var serving = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
                session = new InferenceSession(fullPath, serving);
            }
            else
            {
                session = new InferenceSession(fullPath, sessionOptions);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw MlflowException.InvalidParameter($"'{file}' is not an ONNX model ONNX Runtime {OnnxRuntimeVersion} can load: {e.Message}");
        }

        try
        {
            return new OnnxModelRuntime(model, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static async Task WriteEnvironmentAsync(string folder, string mlflowVersion, string onnxVersion, string pythonVersion, CancellationToken ct)
    {
        string[] requirements = [$"mlflow=={mlflowVersion}", $"onnx=={onnxVersion}", $"onnxruntime=={OnnxRuntimeVersion}"];
        var conda = new Dictionary<string, object?>
        {
            ["channels"] = new List<object?> { "conda-forge" },
            ["dependencies"] = new List<object?>
            {
                $"python={pythonVersion}",
                "pip",
                new Dictionary<string, object?> { ["pip"] = requirements.Cast<object?>().ToList() },
            },
            ["name"] = "mlflow-env",
        };
        var pythonEnv = new Dictionary<string, object?>
        {
            ["build_dependencies"] = new List<object?> { "pip", "setuptools", "wheel" },
            ["dependencies"] = new List<object?> { "-r requirements.txt" },
            ["python"] = pythonVersion,
        };
        await File.WriteAllTextAsync(Path.Combine(folder, "conda.yaml"), YamlTree.Write(conda), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "python_env.yaml"), YamlTree.Write(pythonEnv), ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(folder, "requirements.txt"), string.Join('\n', requirements) + "\n", ct).ConfigureAwait(false);
    }
}

/// <summary>Settings of the <c>onnx</c> flavor that MLflow records.</summary>
public sealed record OnnxSaveOptions
{
    /// <summary>Execution providers in order of preference, as MLflow's default list.</summary>
    public IReadOnlyList<string> Providers { get; init; } = ["CUDAExecutionProvider", "CPUExecutionProvider"];

    /// <summary>The Python onnx release to record; by default the first release that reads the model's IR version
    /// and has wheels for <see cref="PythonVersion"/>.</summary>
    public string? OnnxVersion { get; init; }

    /// <summary>
    /// The Python a pyfunc environment is built with. It must be one the pinned <c>onnxruntime</c> (the .NET ONNX
    /// Runtime's version) has wheels for: onnxruntime publishes none for Python 3.10 since 1.24.
    /// </summary>
    public string PythonVersion { get; init; } = "3.12.3";
}
