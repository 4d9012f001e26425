using System.Text.Json;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>Writes tensor values as JSON without boxing. Non-finite floats become null (what non-Python clients can read).</summary>
internal static class TensorJson
{
    /// <summary>Every value of the tensor as one flat list.</summary>
    public static void WriteFlat(Utf8JsonWriter writer, ModelTensor tensor)
    {
        writer.WriteStartArray();
        WriteRange(writer, tensor, 0, tensor.Length);
        writer.WriteEndArray();
    }

    /// <summary>The values from <paramref name="start"/> nested by <paramref name="shape"/> from dimension <paramref name="dim"/> on.</summary>
    public static void WriteNested(Utf8JsonWriter writer, ModelTensor tensor, ReadOnlySpan<int> shape, int start)
    {
        if (shape.Length == 0)
        {
            WriteValue(writer, tensor, start);
            return;
        }

        var inner = 1;
        for (var d = 1; d < shape.Length; d++)
        {
            inner *= shape[d];
        }

        writer.WriteStartArray();
        if (shape.Length == 1)
        {
            WriteRange(writer, tensor, start, shape[0]);
        }
        else
        {
            for (var i = 0; i < shape[0]; i++)
            {
                WriteNested(writer, tensor, shape[1..], start + (i * inner));
            }
        }

        writer.WriteEndArray();
    }

    public static void WriteValue(Utf8JsonWriter writer, ModelTensor tensor, int index)
    {
        switch (tensor)
        {
            case ModelTensor<float> t:
                WriteFloat(writer, t.Span[index]);
                break;
            case ModelTensor<double> t:
                WriteDouble(writer, t.Span[index]);
                break;
            case ModelTensor<int> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<long> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<bool> t:
                writer.WriteBooleanValue(t.Span[index]);
                break;
            case ModelTensor<string> t:
                writer.WriteStringValue(t.Span[index]);
                break;
            case ModelTensor<uint> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<ulong> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<short> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<ushort> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<sbyte> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<byte> t:
                writer.WriteNumberValue(t.Span[index]);
                break;
            case ModelTensor<byte[]> t:
                writer.WriteBase64StringValue(t.Span[index]);
                break;
            case ModelTensor<DateTime> t:
                writer.WriteStringValue(t.Span[index]);
                break;
            case ModelTensor<Half> t:
                WriteFloat(writer, (float)t.Span[index]);
                break;
            default:
                writer.WriteStringValue(tensor.GetBoxed(index)?.ToString());
                break;
        }
    }

    private static void WriteRange(Utf8JsonWriter writer, ModelTensor tensor, int start, int count)
    {
        switch (tensor)
        {
            case ModelTensor<float> t:
                foreach (var v in t.Span.Slice(start, count))
                {
                    WriteFloat(writer, v);
                }

                break;
            case ModelTensor<double> t:
                foreach (var v in t.Span.Slice(start, count))
                {
                    WriteDouble(writer, v);
                }

                break;
            default:
                for (var i = start; i < start + count; i++)
                {
                    WriteValue(writer, tensor, i);
                }

                break;
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, float v)
    {
        if (float.IsFinite(v))
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double v)
    {
        if (double.IsFinite(v))
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
