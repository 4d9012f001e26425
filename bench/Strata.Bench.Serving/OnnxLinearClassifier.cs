using System.Runtime.InteropServices;
using System.Text;

namespace Strata.Bench.Serving;

/// <summary>
/// The bench's scikit-learn pipeline (StandardScaler, then LogisticRegression) as an ONNX graph, written by hand from
/// its fitted parameters (skl2onnx cannot be installed here): one double [N, 1] input per column, Concat, Sub(mean),
/// Div(scale), MatMul(coef^T), Add(intercept), ArgMax to the int64 class label, as the pipeline's predict computes it.
/// </summary>
internal static class OnnxLinearClassifier
{
    private const int Double = 11;
    private const int Int64 = 7;

    public static byte[] Build(IReadOnlyList<string> columns, double[] mean, double[] scale, double[][] coef, double[] intercept, long[] classes)
    {
        var k = coef.Length;
        var n = columns.Count;
        var weights = new double[n * k];
        for (var c = 0; c < k; c++)
        {
            for (var f = 0; f < n; f++)
            {
                weights[(f * k) + c] = coef[c][f];
            }
        }

        var nodes = new List<byte[]>
        {
            Node("Concat", [.. columns], ["X"], Attribute("axis", 1)),
            Node("Sub", ["X", "mean"], ["C"]),
            Node("Div", ["C", "scale"], ["Z"]),
            Node("MatMul", ["Z", "W"], ["S"]),
            Node("Add", ["S", "b"], ["L"]),
            Node("ArgMax", ["L"], ["index"], Attribute("axis", 1), Attribute("keepdims", 0)),
            Node("Gather", ["classes", "index"], ["label"], Attribute("axis", 0)),
        };
        var graph = Concat(
        [
            .. nodes.Select(node => Field(1, node)),
            Text(2, "sklearn_pipeline"),
            Field(5, Tensor("mean", [n], mean)),
            Field(5, Tensor("scale", [n], scale)),
            Field(5, Tensor("W", [n, k], weights)),
            Field(5, Tensor("b", [k], intercept)),
            Field(5, Tensor("classes", [k], classes)),
            .. columns.Select(c => Field(11, ValueInfo(c, Double, [-1, 1]))),
            Field(12, ValueInfo("label", Int64, [-1])),
        ]);
        return Concat(Number(1, 8), Field(7, graph), Field(8, Number(2, 13)));
    }

    private static byte[] Node(string op, string[] inputs, string[] outputs, params byte[][] attributes) =>
        Concat([.. inputs.Select(i => Text(1, i)), .. outputs.Select(o => Text(2, o)), Text(4, op), .. attributes.Select(a => Field(5, a))]);

    /// <summary>An INT attribute (AttributeProto type 2).</summary>
    private static byte[] Attribute(string name, long value) => Concat(Text(1, name), Number(3, value), Number(20, 2));

    private static byte[] Tensor<T>(string name, long[] dims, T[] values)
        where T : unmanaged =>
        Concat([.. dims.Select(d => Number(1, d)), Number(2, typeof(T) == typeof(double) ? Double : Int64), Text(8, name),
            Field(9, MemoryMarshal.AsBytes(values.AsSpan()).ToArray())]);

    private static byte[] ValueInfo(string name, int type, long[] shape)
    {
        var dims = shape.Select(d => Field(1, d < 0 ? Text(2, "N") : Number(1, d))).ToArray();
        var tensor = Concat(Number(1, type), Field(2, Concat(dims)));
        return Concat(Text(1, name), Field(2, Field(1, tensor)));
    }

    private static byte[] Number(int field, long value) => Concat(Varint((ulong)(field << 3)), Varint((ulong)value));

    private static byte[] Text(int field, string value) => Field(field, Encoding.UTF8.GetBytes(value));

    private static byte[] Field(int field, byte[] bytes) => Concat(Varint((ulong)((field << 3) | 2)), Varint((ulong)bytes.Length), bytes);

    private static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
