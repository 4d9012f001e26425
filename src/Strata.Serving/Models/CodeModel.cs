using Strata.Core.Models;

namespace Strata.Serving.Models;

/// <summary>What to save as a code model (<c>dotnet_function</c> flavor): the class, where its compiled code is, and what it carries.</summary>
public sealed record CodeModel
{
    /// <summary>The class implementing <see cref="Strata.Models.IStrataModel"/> or <see cref="Strata.Models.IStrataModel{TInput, TOutput}"/>.</summary>
    public required Type ModelType { get; init; }

    /// <summary>
    /// A build output or <c>dotnet publish</c> folder holding the model's assembly: packed whole (but for the shared
    /// contracts). When null, the folder the assembly was loaded from is used and only the assembly and the dependencies
    /// it references (transitively) that are in that folder are packed.
    /// </summary>
    public string? CodeFolder { get; init; }

    /// <summary>Artifact name to a local file or folder (another MLflow model folder, a lookup table), copied into the model.</summary>
    public IReadOnlyDictionary<string, string> Artifacts { get; init; } = new Dictionary<string, string>();

    /// <summary>The signature; by default inferred from TInput/TOutput of a typed model (a column-frame model needs one).</summary>
    public ModelSignature? Signature { get; init; }

    /// <summary>
    /// Params the model reads at request time (MLflow's params schema), added to the signature: a request's
    /// <c>params</c> are checked against them and reach <c>PredictAsync</c>, with these defaults for any left out.
    /// </summary>
    public IReadOnlyList<ParamSpec>? Params { get; init; }

    /// <summary>Settings handed to the model as <see cref="Strata.Models.ModelContext.ModelConfig"/>.</summary>
    public IReadOnlyDictionary<string, object?>? ModelConfig { get; init; }

    /// <summary>Where artifacts given as model URIs came from (the SDK downloads them first), recorded as their <c>uri</c>.</summary>
    internal IReadOnlyDictionary<string, string>? ArtifactUris { get; init; }

    public static CodeModel For<TModel>()
        where TModel : class => new() { ModelType = typeof(TModel) };
}
