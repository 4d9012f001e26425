using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>A parsed Open Inference Protocol <c>/infer</c> request.</summary>
public sealed record V2InferenceRequest(string? Id, ModelInput Input, IReadOnlyList<string>? RequestedOutputs)
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Parses the body into the model's input buffers; each input's keys may come in any order.</summary>
    public static V2InferenceRequest Parse(ReadOnlySpan<byte> body, InputLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        try
        {
            return ParseCore(body, layout);
        }
        catch (JsonException e)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, $"The body is not valid JSON: {e.Message}");
        }
    }

    private static V2InferenceRequest ParseCore(ReadOnlySpan<byte> body, InputLayout layout)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "The inference request must be a JSON object with 'inputs'.");
        }

        string? id = null;
        var form = InputForm.Columns;
        List<ModelTensor>? tensors = null;
        List<string>? outputs = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Bad("'id' must be a string.");
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    throw Bad("'inputs' must be a list of input tensors.");
                }

                tensors = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    tensors.Add(ReadInput(ref reader, layout, tensors.Count));
                }
            }
            else if (reader.ValueTextEquals("parameters"u8))
            {
                // MLServer's convention: {"content_type": "pd"} asks for a DataFrame (it matters to a model without a
                // signature, where nothing else says the inputs are a table's columns).
                reader.Read();
                using var parameters = JsonDocument.ParseValue(ref reader);
                if (parameters.RootElement.ValueKind == JsonValueKind.Object
                    && parameters.RootElement.TryGetProperty("content_type"u8, out var contentType)
                    && contentType.ValueKind == JsonValueKind.String && contentType.ValueEquals("pd"u8))
                {
                    form = InputForm.Table;
                }
            }
            else if (reader.ValueTextEquals("outputs"u8))
            {
                reader.Read();
                outputs = ReadOutputNames(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (tensors is null || tensors.Count == 0)
        {
            throw Bad("The inference request needs 'inputs' with at least one tensor.");
        }

        if (layout.IsOpen && form == InputForm.Table)
        {
            // Columns travel as [n, 1] (MLServer's convention) or [n]; a DataFrame column is [n].
            for (var i = 0; i < tensors.Count; i++)
            {
                if (tensors[i].Shape is [var n, 1])
                {
                    tensors[i] = tensors[i].Reshape([n]);
                }
            }
        }

        var input = layout.IsOpen ? new ModelInput(tensors) { Form = form } : layout.Enforce(new ModelInput(tensors));
        return new V2InferenceRequest(id, input, outputs);
    }

    private static ModelTensor ReadInput(ref Utf8JsonReader reader, InputLayout layout, int position)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Bad($"Input {position} must be an object with name, shape, datatype and data.");
        }

        string? name = null;
        string? datatype = null;
        int[]? shape = null;
        var data = default(Utf8JsonReader);
        var hasData = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Bad($"The name of input {position} must be a string.");
            }
            else if (reader.ValueTextEquals("datatype"u8))
            {
                reader.Read();
                datatype = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw Bad($"The datatype of input {position} must be a string.");
            }
            else if (reader.ValueTextEquals("shape"u8))
            {
                reader.Read();
                shape = ReadShape(ref reader, position);
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                data = reader;
                hasData = true;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        var label = name is null ? $"#{position}" : $"'{name}'";
        if (name is null || datatype is null || shape is null || !hasData)
        {
            var missing = new[] { ("name", name is null), ("shape", shape is null), ("datatype", datatype is null), ("data", !hasData) }
                .Where(x => x.Item2).Select(x => x.Item1);
            throw Bad($"Input {label} is missing {string.Join(", ", missing)}.");
        }

        if (!V2Datatypes.TryParse(datatype, out var declared))
        {
            throw Bad($"Input '{name}' has an unknown datatype '{datatype}'.");
        }

        if (layout.IsOpen)
        {
            // No signature: the request's datatype and shape are the tensor's.
            var open = ColumnBuffer.For(declared, name, $"input '{name}'");
            open.AddFlat(ref data);
            CheckShape(name, shape, open.Count);
            return open.Build(shape);
        }

        var index = layout.IndexOf(name);
        if (index < 0 && !layout.HasNames && position < layout.Count)
        {
            index = position;
        }

        if (index < 0)
        {
            throw Bad($"The model has no input named '{name}'; it takes [{string.Join(", ", Enumerable.Range(0, layout.Count).Select(i => $"'{layout.NameAt(i)}'"))}].");
        }

        var expected = layout.TypeAt(index);
        if (V2Datatypes.IsText(declared) != V2Datatypes.IsText(expected)
            || (declared == Core.Models.TensorElementType.Bool) != (expected == Core.Models.TensorElementType.Bool))
        {
            throw Bad($"Input '{name}' has datatype {datatype} but the model expects {V2Datatypes.ToV2(expected)}.");
        }

        var buffer = layout.NewBuffer(index);
        buffer.AddFlat(ref data);
        CheckShape(name, shape, buffer.Count);

        // A table column travels as [n, 1] (MLServer's convention) or [n]; the model reads it as [n].
        if (!layout.Schema.IsTensorBased && shape.Length == 2 && shape[1] == 1
            && layout.Schema.Columns[index].Type is ScalarColumnType)
        {
            shape = [shape[0]];
        }

        return buffer.Build(shape);
    }

    private static void CheckShape(string name, int[] shape, int count)
    {
        long product = 1;
        foreach (var d in shape)
        {
            product *= d;
        }

        if (product != count)
        {
            throw Bad($"Input '{name}' has {count} values but its shape [{string.Join(", ", shape)}] needs {product}.");
        }
    }

    private static int[] ReadShape(ref Utf8JsonReader reader, int position)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Bad($"The shape of input {position} must be a list of integers.");
        }

        var dims = new List<int>(2);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var d) || d < 0)
            {
                throw Bad($"The shape of input {position} must hold non-negative integers.");
            }

            dims.Add(d);
        }

        return [.. dims];
    }

    private static List<string> ReadOutputNames(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Bad("'outputs' must be a list of {\"name\": ...} objects.");
        }

        var names = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Bad("'outputs' must be a list of {\"name\": ...} objects.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isName = reader.ValueTextEquals("name"u8);
                reader.Read();
                if (isName && reader.TokenType == JsonTokenType.String)
                {
                    names.Add(reader.GetString()!);
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return names;
    }

    private static MlflowException Bad(string message) => new(ErrorCode.BAD_REQUEST, message);
}
