using Strata.Core.Models;

namespace Strata.Models;

/// <summary>
/// What a code model gets when it is loaded: where its folder is, the artifacts logged with it (other models, lookup
/// files), its configuration, and a way to load the ML.NET / ONNX models it carries through the runtimes the server uses.
/// </summary>
public sealed class ModelContext
{
    private readonly Func<string, CancellationToken, Task<IArtifactModel>> _loadModel;

    public ModelContext(
        string modelPath,
        IReadOnlyDictionary<string, string> artifacts,
        IReadOnlyDictionary<string, object?> modelConfig,
        Func<string, CancellationToken, Task<IArtifactModel>> loadModel)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(artifacts);
        ArgumentNullException.ThrowIfNull(modelConfig);
        ArgumentNullException.ThrowIfNull(loadModel);
        ModelPath = modelPath;
        Artifacts = artifacts;
        ModelConfig = modelConfig;
        _loadModel = loadModel;
    }

    /// <summary>The model's folder (the one holding MLmodel).</summary>
    public string ModelPath { get; }

    /// <summary>Artifact name to its absolute local path (a file or a folder), as logged.</summary>
    public IReadOnlyDictionary<string, string> Artifacts { get; }

    /// <summary>The <c>model_config</c> logged with the model (MLflow's name for it): settings that are not code.</summary>
    public IReadOnlyDictionary<string, object?> ModelConfig { get; }

    /// <summary>The local path of an artifact; an unknown name throws naming the ones there are.</summary>
    public string ArtifactPath(string name) =>
        Artifacts.TryGetValue(name, out var path)
            ? path
            : throw new KeyNotFoundException(
                $"The model has no artifact '{name}'; it has [{string.Join(", ", Artifacts.Keys.Order(StringComparer.Ordinal))}].");

    /// <summary>
    /// Loads the MLflow model (mlnet or onnx flavor) logged as artifact <paramref name="name"/> with the runtime the
    /// server serves that flavor with. The host owns it: it is disposed when this model version is unloaded.
    /// </summary>
    public Task<IArtifactModel> LoadModelAsync(string name, CancellationToken cancellationToken = default)
    {
        ArtifactPath(name);
        return _loadModel(name, cancellationToken);
    }
}

/// <summary>A model a code model carries as an artifact, loaded by the host. Thread-safe.</summary>
public interface IArtifactModel
{
    /// <summary>The flavor it was loaded from (<c>mlnet</c>, <c>onnx</c>).</summary>
    string Flavor { get; }

    ModelSchema InputSchema { get; }

    ModelSchema OutputSchema { get; }

    /// <summary>Scores every row (the signature is enforced as for a served request).</summary>
    ModelOutput Predict(ModelInput input);
}
