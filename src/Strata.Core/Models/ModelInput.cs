namespace Strata.Core.Models;

/// <summary>
/// What a model runtime is asked to score: named columns of a table, or named tensors, in columnar form. A batch of
/// requests is one input with more rows.
/// </summary>
public sealed class ModelInput
{
    public ModelInput(IReadOnlyList<ModelTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Tensors = tensors;
    }

    public ModelInput(params ModelTensor[] tensors)
        : this((IReadOnlyList<ModelTensor>)tensors)
    {
    }

    public IReadOnlyList<ModelTensor> Tensors { get; }

    /// <summary>
    /// Inference params for the model's <c>predict(data, params)</c> (the request's, checked against the signature,
    /// with the signature's defaults for the rest); null when the model declares none and the request sent none.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? Params { get; init; }

    /// <summary>
    /// What the request's data was, when the model has no signature to say so: a table (MLflow hands a pandas
    /// DataFrame), one array, or named arrays. <see cref="InputForm.Default"/> leaves it to the model's signature.
    /// </summary>
    public InputForm Form { get; init; }

    /// <summary>Rows in the input: the first dimension of the first tensor (all must agree for tabular models).</summary>
    public int RowCount => Tensors.Count == 0 ? 0 : Tensors[0].Rows;

    public ModelTensor? Find(string name)
    {
        foreach (var t in Tensors)
        {
            if (string.Equals(t.Name, name, StringComparison.Ordinal))
            {
                return t;
            }
        }

        return null;
    }
}

/// <summary>The shape of a request's data where no signature fixes it (a Python model logged without one).</summary>
public enum InputForm
{
    /// <summary>As the model's signature says.</summary>
    Default,

    /// <summary>Columns of a table (<c>dataframe_split</c>, <c>dataframe_records</c>, CSV).</summary>
    Table,

    /// <summary>One array, rows first (<c>instances</c> or <c>inputs</c> holding a list).</summary>
    Array,

    /// <summary>Named arrays (<c>inputs</c> holding an object, <c>instances</c> holding objects, the Open Inference Protocol).</summary>
    Columns,
}

/// <summary>What a model returned: named output columns (one value or one vector per row) or named tensors.</summary>
public sealed class ModelOutput
{
    public ModelOutput(IReadOnlyList<ModelTensor> tensors)
    {
        Tensors = tensors;
    }

    public IReadOnlyList<ModelTensor> Tensors { get; }

    /// <summary>
    /// What the model itself returned, when it says (a Python model's DataFrame, array or dict); MLflow's response
    /// follows it rather than the request's form.
    /// </summary>
    public OutputForm Form { get; init; }

    public int RowCount => Tensors.Count == 0 ? 0 : Tensors[0].Rows;

    public ModelTensor? Find(string name) => Tensors.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    public ModelTensor this[string name] =>
        Find(name) ?? throw new KeyNotFoundException($"The model output has no '{name}'; it has {string.Join(", ", Tensors.Select(t => t.Name))}");
}

/// <summary>The shape of a model's own return value, where the runtime knows it.</summary>
public enum OutputForm
{
    /// <summary>Unknown: the response follows the request (a table request gets a table answer).</summary>
    Default,

    /// <summary>A DataFrame: records <c>[{"column": value}, ...]</c>, whatever the request's form.</summary>
    Records,

    /// <summary>One array: nested by its shape.</summary>
    Array,

    /// <summary>A dict of arrays: <c>{"name": [...]}</c>.</summary>
    Columns,
}
