using Strata.Core.Models;

namespace Strata.Serving.Models;

/// <summary>What a flavor writer puts in the MLmodel file besides the flavor itself.</summary>
public sealed record ModelSaveOptions
{
    /// <summary>The MLflow format version the file declares (Strata writes the 2.x layout).</summary>
    public const string DefaultMlflowVersion = "2.22.0";

    public string? RunId { get; init; }

    /// <summary>2.x: the path under the run's artifact root (e.g. <c>model</c>).</summary>
    public string? ArtifactPath { get; init; }

    /// <summary>3.x LoggedModel id; when set it is also the model_uuid, as MLflow 3 writes it.</summary>
    public string? ModelId { get; init; }

    public string MlflowVersion { get; init; } = DefaultMlflowVersion;

    /// <summary>Replaces the signature the writer infers from the model.</summary>
    public ModelSignature? Signature { get; init; }

    /// <summary>Written as input_example.json and serving_input_example.json.</summary>
    public ModelInput? InputExample { get; init; }

    public IReadOnlyDictionary<string, object?>? Metadata { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
