using System.Text;

namespace Strata.Serving.Tests.Runtimes;

/// <summary>
/// Writes a one-node ONNX model (protobuf, by hand: no exporter makes a model that lies about its shapes) whose
/// declared input and output shapes the test chooses, independently of what the node really produces.
/// </summary>
internal static class TinyOnnxModel
{
    public const int Float = 1;
    public const int Int64 = 7;

    /// <summary>
    /// One node of <paramref name="op"/> over the given inputs, to a float output <c>Y</c> declared with
    /// <paramref name="declaredOutputShape"/>; a dimension of -1 is written as the symbol "N".
    /// </summary>
    public static byte[] Build(string op, (string Name, int Type, long[] Shape)[] inputs, long[] declaredOutputShape)
    {
        var node = Concat([.. inputs.Select(i => Text(1, i.Name)), Text(2, "Y"), Text(4, op)]);
        var graph = Concat(
        [
            Field(1, node),
            Text(2, "tiny"),
            .. inputs.Select(i => Field(11, ValueInfo(i.Name, i.Type, i.Shape))),
            Field(12, ValueInfo("Y", Float, declaredOutputShape)),
        ]);
        var opset = Number(2, 13);
        return Concat(Number(1, 8), Field(7, graph), Field(8, opset));
    }

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
