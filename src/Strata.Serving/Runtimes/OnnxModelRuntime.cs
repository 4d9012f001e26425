using Microsoft.ML.OnnxRuntime;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Models;
using Ort = Microsoft.ML.OnnxRuntime.Tensors;

namespace Strata.Serving.Runtimes;

/// <summary>
/// Serves an ONNX model with one shared <see cref="InferenceSession"/> (its Run is thread-safe). Numeric inputs are
/// handed to ONNX Runtime in place (the request's buffers are pinned, not copied), and so are outputs whose size the
/// row count fixes (<see cref="OnnxOutputBuffers"/>); the arrays of names are prepared once.
/// </summary>
public sealed class OnnxModelRuntime : IModelRuntime
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;

    /// <summary>The signature declares exactly the graph's inputs, so a request enforced by it needs no second pass.</summary>
    private readonly bool _signatureIsGraph;

    /// <summary>Null when the outputs' sizes are only known after a call, or turned out not to match their declaration.</summary>
    private volatile OnnxOutputBuffers? _outputBuffers;

    /// <summary>Reused values for one-row calls; null when the graph's shapes do not allow them, or turned out not to hold.</summary>
    private volatile OnnxRowSlots? _rowSlots;
    private readonly OnnxRowSlots? _ownedRowSlots;

    public OnnxModelRuntime(MlModel model, InferenceSession session)
    {
        Model = model;
        _session = session;
        _inputNames = session.InputMetadata.Keys.ToArray();
        var graphOutputs = session.OutputMetadata.Where(kv => kv.Value.IsTensor).Select(kv => kv.Key).ToArray();
        GraphInputs = ModelSchema.FromTensors(_inputNames.Select(n => OnnxTypes.ToSpec(n, session.InputMetadata[n])));
        GraphOutputs = ModelSchema.FromTensors(graphOutputs.Select(n => OnnxTypes.ToSpec(n, session.OutputMetadata[n])));
        InputSchema = model.Signature?.Inputs ?? GraphInputs;
        OutputSchema = model.Signature?.Outputs ?? GraphOutputs;
        _signatureIsGraph = SameTensors(InputSchema, GraphInputs);
        // When the signature names a subset of the graph's outputs, ask ONNX Runtime for just those: it then skips
        // the nodes that only feed the others.
        _outputNames = OutputSchema is { HasNames: true, Count: > 0 } declared && declared.Names.All(n => graphOutputs.Contains(n))
            ? declared.Names.Select(n => n!).ToArray()
            : graphOutputs;
        _outputBuffers = OnnxOutputBuffers.TryCreate(_outputNames, session.OutputMetadata);
        _ownedRowSlots = _rowSlots = OnnxRowSlots.TryCreate(_inputNames, session.InputMetadata, _outputBuffers);
    }

    public string Flavor => OnnxFlavor.Name;

    public MlModel Model { get; }

    public ModelSchema InputSchema { get; }

    public ModelSchema OutputSchema { get; }

    /// <summary>The graph's own inputs and outputs (what <see cref="Predict"/> feeds and returns).</summary>
    public ModelSchema GraphInputs { get; }

    public ModelSchema GraphOutputs { get; }

    public ModelOutput Predict(ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var activity = ModelActivity.StartPredict(Flavor, input.RowCount);
        var enforced = SignatureEnforcer.Enforce(InputSchema, AddTrailingUnitDimension(input, InputSchema));
        // The graph is the final word: a column-based signature still has to arrive as the graph's tensors.
        if (!_signatureIsGraph)
        {
            enforced = SignatureEnforcer.Enforce(GraphInputs, AddTrailingUnitDimension(RenameToGraph(enforced), GraphInputs));
        }

        var tensors = new ModelTensor[_inputNames.Length];
        for (var i = 0; i < tensors.Length; i++)
        {
            // Enforced inputs come in the graph's order; the lookup by name is for anything else.
            tensors[i] = i < enforced.Tensors.Count && enforced.Tensors[i].Name == _inputNames[i]
                ? enforced.Tensors[i]
                : enforced.Find(_inputNames[i]) ?? enforced.Tensors[i];
        }

        try
        {
            if (enforced.RowCount == 1 && _rowSlots is { } slots && slots.Fits(tensors))
            {
                var slot = slots.Rent();
                try
                {
                    slot.Load(tensors);
                    _session.Run(_runOptions, _inputNames, slot.Inputs, _outputNames, slot.Outputs);
                    return slot.Read();
                }
                catch (OnnxRuntimeException)
                {
                    // As with preallocated outputs: the call is repeated the general way, and if that works, the
                    // graph is not what it declares and this model stops using one-row slots.
                    var answer = PredictWithNewValues(tensors, enforced.RowCount);
                    _rowSlots = null;
                    return answer;
                }
                finally
                {
                    slots.Return(slot);
                }
            }

            return PredictWithNewValues(tensors, enforced.RowCount);
        }
        catch (OnnxRuntimeException e)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, $"ONNX Runtime rejected the input: {e.Message}", e);
        }
    }

    /// <summary>A call with ONNX Runtime values made for it (any row count, any shape the graph accepts).</summary>
    private ModelOutput PredictWithNewValues(ModelTensor[] tensors, int rows)
    {
        var values = new OrtValue[tensors.Length];
        var created = 0;
        try
        {
            for (var i = 0; i < tensors.Length; i++)
            {
                values[i] = ToOrtValue(tensors[i]);
                created++;
            }

            if (_outputBuffers is { } buffers)
            {
                var (outputs, outputValues) = buffers.Allocate(rows);
                try
                {
                    _session.Run(_runOptions, _inputNames, values, _outputNames, outputValues);
                    return new ModelOutput(outputs);
                }
                catch (OnnxRuntimeException)
                {
                    // The graph's outputs are not the size their declaration implies (or the input is bad): the call is
                    // repeated with outputs ONNX Runtime sizes itself, and if that works, this model stops preallocating.
                    var answer = RunWithRuntimeOutputs(values);
                    _outputBuffers = null;
                    return answer;
                }
                finally
                {
                    foreach (var value in outputValues)
                    {
                        value.Dispose();
                    }
                }
            }

            return RunWithRuntimeOutputs(values);
        }
        finally
        {
            for (var i = 0; i < created; i++)
            {
                values[i].Dispose();
            }
        }
    }

    private ModelOutput RunWithRuntimeOutputs(OrtValue[] values)
    {
        using var results = _session.Run(_runOptions, _inputNames, values, _outputNames);
        var outputs = new ModelTensor[_outputNames.Length];
        for (var i = 0; i < outputs.Length; i++)
        {
            outputs[i] = FromOrtValue(_outputNames[i], results[i]);
        }

        return new ModelOutput(outputs);
    }

    public void Dispose()
    {
        _ownedRowSlots?.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    /// <summary>
    /// Lets a column of n values feed a tensor declared [-1, 1] (what ML.NET's exporter declares for a scalar column),
    /// so tabular requests reach such graphs. Only the shape changes; the buffer is shared.
    /// </summary>
    private static ModelInput AddTrailingUnitDimension(ModelInput input, ModelSchema schema)
    {
        if (!schema.IsTensorBased || !schema.HasNames)
        {
            return input;
        }

        List<ModelTensor>? reshaped = null;
        for (var i = 0; i < input.Tensors.Count; i++)
        {
            var tensor = input.Tensors[i];
            var spec = FindSpec(schema.Tensors, tensor.Name);
            if (spec is not null && spec.Shape.Count == tensor.Shape.Length + 1 && spec.Shape[^1] == 1)
            {
                reshaped ??= input.Tensors.ToList();
                reshaped[i] = tensor.Reshape([.. tensor.Shape, 1]);
            }
        }

        return reshaped is null ? input : new ModelInput(reshaped);
    }

    private static TensorSpec? FindSpec(IReadOnlyList<TensorSpec> specs, string name)
    {
        for (var i = 0; i < specs.Count; i++)
        {
            if (string.Equals(specs[i].Name, name, StringComparison.Ordinal))
            {
                return specs[i];
            }
        }

        return null;
    }

    private static bool SameTensors(ModelSchema a, ModelSchema b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (!a.IsTensorBased || !b.IsTensorBased || !a.HasNames || a.Tensors.Count != b.Tensors.Count)
        {
            return false;
        }

        for (var i = 0; i < a.Tensors.Count; i++)
        {
            var (x, y) = (a.Tensors[i], b.Tensors[i]);
            if (x.Name != y.Name || x.Type != y.Type || !x.Shape.SequenceEqual(y.Shape))
            {
                return false;
            }
        }

        return true;
    }

    private ModelInput RenameToGraph(ModelInput input)
    {
        // An unnamed single-tensor signature feeds the graph's single input whatever the request called it.
        if (!InputSchema.HasNames && input.Tensors.Count == _inputNames.Length)
        {
            return new ModelInput(input.Tensors.Select((t, i) => Rename(t, _inputNames[i])).ToList());
        }

        return input;
    }

    private static ModelTensor Rename(ModelTensor tensor, string name) =>
        tensor.Name == name ? tensor : tensor.Reshape(tensor.Shape, name);

    private static OrtValue ToOrtValue(ModelTensor tensor)
    {
        var shape = new long[tensor.Shape.Length];
        for (var d = 0; d < shape.Length; d++)
        {
            shape[d] = tensor.Shape[d];
        }

        if (tensor is ModelTensor<string> strings)
        {
            return Strings(strings, shape);
        }

        return OnnxElement.For(tensor.ElementType)?.Wrap(tensor, shape)
            ?? throw MlflowException.InvalidParameter($"Input '{tensor.Name}' of type {tensor.ElementType.ToNumpyName()} cannot be fed to an ONNX model");
    }

    private static OrtValue Strings(ModelTensor<string> tensor, long[] shape)
    {
        var value = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        var span = tensor.Span;
        for (var i = 0; i < span.Length; i++)
        {
            value.StringTensorSetElementAt(span[i].AsSpan(), i);
        }

        return value;
    }

    private static ModelTensor FromOrtValue(string name, OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        var dims = info.Shape;
        var shape = new int[dims.Length];
        for (var d = 0; d < dims.Length; d++)
        {
            shape[d] = checked((int)dims[d]);
        }

        if (info.ElementDataType == Ort.TensorElementType.String)
        {
            return new ModelTensor<string>(name, value.GetStringTensorAsArray(), shape);
        }

        return OnnxElement.For(info.ElementDataType)?.CopyOut(name, value, shape)
            ?? throw new NotSupportedException($"ONNX output '{name}' has element type {info.ElementDataType}, which Strata cannot return");
    }
}
