namespace Strata.Core.Models;

/// <summary>
/// The MLmodel file of an MLflow model folder. Keys Strata does not model are kept in <see cref="Extra"/> and written
/// back unchanged, so reading and rewriting a file MLflow wrote loses nothing.
/// </summary>
public sealed record MlModel
{
    public const string FileName = "MLmodel";

    /// <summary>2.x: the path under the run's artifact root; 3.x: the logged model's artifact URI.</summary>
    public string? ArtifactPath { get; init; }

    public string? RunId { get; init; }

    /// <summary>3.x: the LoggedModel id (<c>m-...</c>).</summary>
    public string? ModelId { get; init; }

    public string? ModelUuid { get; init; }

    public string? MlflowVersion { get; init; }

    /// <summary>Naive UTC timestamp as MLflow writes it: <c>YYYY-MM-DD HH:MM:SS.ffffff</c>.</summary>
    public string? UtcTimeCreated { get; init; }

    /// <summary>Flavor name to its configuration (a YAML value tree, see <see cref="YamlTree"/>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object?>> Flavors { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, object?>>();

    public ModelSignature? Signature { get; init; }

    public SavedInputExampleInfo? SavedInputExampleInfo { get; init; }

    public long? ModelSizeBytes { get; init; }

    public IReadOnlyDictionary<string, object?>? Metadata { get; init; }

    /// <summary>Every other top-level key (databricks_runtime, resources, env_vars, ...), verbatim.</summary>
    public IReadOnlyDictionary<string, object?> Extra { get; init; } = new Dictionary<string, object?>();

    public bool HasFlavor(string name) => Flavors.ContainsKey(name);

    public IReadOnlyDictionary<string, object?>? Flavor(string name) => Flavors.GetValueOrDefault(name);

    public static MlModel Parse(string yaml) => MlModelYaml.Read(yaml);

    public string ToYaml() => MlModelYaml.Write(this);

    /// <summary>The timestamp format MLflow writes for <see cref="UtcTimeCreated"/>.</summary>
    public static string FormatTime(DateTime utc) =>
        utc.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Where the input example of a model lives and how it is encoded.</summary>
public sealed record SavedInputExampleInfo
{
    public string ArtifactPath { get; init; } = "input_example.json";

    /// <summary><c>dataframe</c>, <c>ndarray</c>, <c>json_object</c>, <c>sparse_matrix_csc</c> or <c>sparse_matrix_csr</c>.</summary>
    public required string Type { get; init; }

    /// <summary><c>split</c> or <c>values</c>; only for dataframes.</summary>
    public string? PandasOrient { get; init; }

    public string? ServingInputPath { get; init; }

    /// <summary>Other keys (for example <c>params: "true"</c>), verbatim.</summary>
    public IReadOnlyDictionary<string, object?> Extra { get; init; } = new Dictionary<string, object?>();
}
