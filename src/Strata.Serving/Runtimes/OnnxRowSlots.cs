using Microsoft.Extensions.ObjectPool;
using Microsoft.ML.OnnxRuntime;
using Strata.Core.Models;

namespace Strata.Serving.Runtimes;

/// <summary>
/// Reusable ONNX Runtime values for one-row calls, the usual online request. Each slot holds an array and a value over
/// it for every input and output, made once; a call copies its row in, runs, and copies the outputs out. Otherwise
/// every call creates, pins and releases a native value per input and output, which measured as costly as the run of
/// a small model itself. Slots are pooled, and a call holds one for the length of its run.
/// </summary>
internal sealed class OnnxRowSlots : IDisposable
{
    private readonly RowShape[] _inputs;
    private readonly int[][] _inputShapes;
    private readonly RowShape[] _outputs;
    private readonly ObjectPool<Slot> _pool;

    private OnnxRowSlots(RowShape[] inputs, RowShape[] outputs)
    {
        _inputs = inputs;
        _inputShapes = inputs.Select(i => i.For(1).Shape).ToArray();
        _outputs = outputs;
        _pool = new DefaultObjectPoolProvider { MaximumRetained = Environment.ProcessorCount * 2 }.Create(new SlotPolicy(this));
    }

    /// <summary>Null unless every input and output is declared <c>[-1, fixed...]</c> of a type handed over in place.</summary>
    public static OnnxRowSlots? TryCreate(IReadOnlyList<string> inputNames, IReadOnlyDictionary<string, NodeMetadata> inputs, OnnxOutputBuffers? outputs)
    {
        if (outputs is null)
        {
            return null;
        }

        var shapes = new RowShape[inputNames.Count];
        for (var i = 0; i < shapes.Length; i++)
        {
            if (RowShape.TryCreate(inputNames[i], inputs[inputNames[i]]) is not { } shape)
            {
                return null;
            }

            shapes[i] = shape;
        }

        return new OnnxRowSlots(shapes, [.. outputs.Outputs]);
    }

    /// <summary>Whether <paramref name="tensors"/> (in the graph's input order) are one row of exactly the declared types and shapes.</summary>
    public bool Fits(ModelTensor[] tensors)
    {
        for (var i = 0; i < tensors.Length; i++)
        {
            if (tensors[i].ElementType != _inputs[i].Element.Type || !tensors[i].Shape.AsSpan().SequenceEqual(_inputShapes[i]))
            {
                return false;
            }
        }

        return true;
    }

    public Slot Rent() => _pool.Get();

    public void Return(Slot slot) => _pool.Return(slot);

    public void Dispose() => (_pool as IDisposable)?.Dispose();

    /// <summary>One call's worth of arrays and the ONNX Runtime values over them.</summary>
    internal sealed class Slot : IDisposable
    {
        private readonly OnnxRowSlots _owner;
        private readonly Array[] _inputArrays;
        private readonly Array[] _outputArrays;

        public Slot(OnnxRowSlots owner)
        {
            _owner = owner;
            _inputArrays = owner._inputs.Select(i => i.Element.NewArray(i.RowWidth)).ToArray();
            _outputArrays = owner._outputs.Select(o => o.Element.NewArray(o.RowWidth)).ToArray();
            Inputs = owner._inputs.Select((input, i) => input.Element.Wrap(_inputArrays[i], input.For(1).OrtShape)).ToArray();
            Outputs = owner._outputs.Select((output, i) => output.Element.Wrap(_outputArrays[i], output.For(1).OrtShape)).ToArray();
        }

        public OrtValue[] Inputs { get; }

        public OrtValue[] Outputs { get; }

        public void Load(ModelTensor[] tensors)
        {
            for (var i = 0; i < tensors.Length; i++)
            {
                _owner._inputs[i].Element.CopyIn(tensors[i], _inputArrays[i]);
            }
        }

        /// <summary>Copies of the outputs the last run wrote (the slot's own arrays go back to the pool).</summary>
        public ModelOutput Read()
        {
            var tensors = new ModelTensor[_outputArrays.Length];
            for (var i = 0; i < tensors.Length; i++)
            {
                var output = _owner._outputs[i];
                tensors[i] = output.Element.CopyOut(output.Name, _outputArrays[i], output.For(1).Shape);
            }

            return new ModelOutput(tensors);
        }

        public void Dispose()
        {
            foreach (var value in Inputs.Concat(Outputs))
            {
                value.Dispose();
            }
        }
    }

    private sealed class SlotPolicy(OnnxRowSlots owner) : PooledObjectPolicy<Slot>
    {
        public override Slot Create() => new(owner);

        public override bool Return(Slot obj) => true;
    }
}
