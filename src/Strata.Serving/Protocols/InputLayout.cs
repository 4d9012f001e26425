using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// What a request body is parsed into, worked out once per loaded model from its input schema: for each input its
/// name, the element type its values are read as, and how messages name it.
/// </summary>
public sealed class InputLayout
{
    private readonly Entry[] _entries;
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly byte[]?[] _utf8Names;

    public InputLayout(ModelSchema schema)
        : this(schema, open: false)
    {
    }

    private InputLayout(ModelSchema schema, bool open)
    {
        ArgumentNullException.ThrowIfNull(schema);
        Schema = schema;
        IsOpen = open;
        _entries = new Entry[schema.Count];
        _utf8Names = new byte[schema.Count][];
        for (var i = 0; i < schema.Count; i++)
        {
            _entries[i] = schema.IsTensorBased ? FromTensor(schema.Tensors[i], i) : FromColumn(schema.Columns[i], i);
            if (_entries[i].Name is { } name)
            {
                _byName[name] = i;
                _utf8Names[i] = System.Text.Encoding.UTF8.GetBytes(name);
            }
        }
    }

    public ModelSchema Schema { get; }

    /// <summary>
    /// No signature: the request names its own columns and their types are inferred from the JSON (or CSV) values, as
    /// <c>mlflow models serve</c> builds a pandas DataFrame or numpy arrays for a model logged without one.
    /// </summary>
    public bool IsOpen { get; }

    /// <summary>The layout for <paramref name="runtime"/>: its input schema, or an open one when it declares no inputs.</summary>
    public static InputLayout For(Runtimes.IModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.InputSchema.Count == 0 ? new InputLayout(runtime.InputSchema, open: true) : new InputLayout(runtime.InputSchema);
    }

    public int Count => _entries.Length;

    public bool HasNames => Schema.HasNames;

    internal string NameAt(int index) => _entries[index].Name ?? (Schema.IsTensorBased ? $"input-{index}" : index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal TensorElementType TypeAt(int index) => _entries[index].Type;

    public int IndexOf(string name) => _byName.TryGetValue(name, out var i) ? i : -1;

    /// <summary>
    /// The index of the name under <paramref name="reader"/> (a JSON string). Clients mostly send the signature's names
    /// in its order, so the name at <paramref name="expected"/> is compared in place first, without making a string.
    /// </summary>
    internal int IndexOf(ref System.Text.Json.Utf8JsonReader reader, int expected) =>
        expected < _utf8Names.Length && _utf8Names[expected] is { } name && reader.ValueTextEquals(name)
            ? expected
            : IndexOf(reader.GetString()!);

    internal ColumnBuffer NewBuffer(int index)
    {
        var entry = _entries[index];
        return ColumnBuffer.For(entry.Type, NameAt(index), entry.Label);
    }

    /// <summary>Turns the filled buffers into a model input and checks it against the signature (missing inputs, shapes).</summary>
    internal ModelInput Finish(ColumnBuffer?[] buffers)
    {
        var tensors = new List<ModelTensor>(buffers.Length);
        foreach (var buffer in buffers)
        {
            if (buffer is not null)
            {
                tensors.Add(buffer.Build());
            }
        }

        return Enforce(new ModelInput(tensors));
    }

    internal ModelInput Enforce(ModelInput input)
    {
        if (input.Tensors.Count == 0)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. The request holds no input data.");
        }

        return SignatureEnforcer.Enforce(Schema, AddTrailingUnitDimension(input));
    }

    /// <summary>
    /// A table column of n values feeds a tensor declared [-1, 1] (what ML.NET's ONNX export declares per scalar
    /// column) as [n, 1]: the shape changes, the buffer is shared.
    /// </summary>
    private ModelInput AddTrailingUnitDimension(ModelInput input)
    {
        if (!Schema.IsTensorBased || !Schema.HasNames)
        {
            return input;
        }

        List<ModelTensor>? reshaped = null;
        for (var i = 0; i < input.Tensors.Count; i++)
        {
            var tensor = input.Tensors[i];
            var index = IndexOf(tensor.Name);
            if (index < 0)
            {
                continue;
            }

            var spec = Schema.Tensors[index];
            if (spec.Shape.Count == tensor.Shape.Length + 1 && spec.Shape[^1] == 1)
            {
                reshaped ??= input.Tensors.ToList();
                reshaped[i] = tensor.Reshape([.. tensor.Shape, 1]);
            }
        }

        return reshaped is null ? input : new ModelInput(reshaped);
    }

    private static Entry FromColumn(ColumnSpec spec, int index)
    {
        var label = spec.Name is null ? $"column #{index}" : $"column '{spec.Name}'";
        var type = spec.Type switch
        {
            ScalarColumnType s => s.Type.ToElementType(),
            ArrayColumnType { Items: ScalarColumnType s } => s.Type.ToElementType(),
            _ => TensorElementType.String,
        };
        return new Entry(spec.Name, type, label);
    }

    private static Entry FromTensor(TensorSpec spec, int index) =>
        new(spec.Name, spec.Type, spec.Name is null ? $"tensor #{index}" : $"tensor '{spec.Name}'");

    private readonly record struct Entry(string? Name, TensorElementType Type, string Label);
}
