using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;
using Strata.Serving.Runtimes;

namespace Strata.Serving.Python;

/// <summary>
/// The frames exchanged with a worker (see <c>strata_worker.py</c>): a u32 length, a u32 header length, a JSON header,
/// then the column buffers it describes. Numeric columns travel as their raw little-endian bytes (numpy reads them
/// with <c>frombuffer</c>, no parsing), strings and other text as one JSON list per column; never one object per row.
/// </summary>
internal static class WorkerFrames
{
    /// <summary>Largest frame accepted from a worker (a corrupt length must not allocate gigabytes).</summary>
    public const int MaxFrameBytes = 1 << 30;

    private static readonly JsonWriterOptions HeaderOptions = new() { SkipValidation = true };

    /// <summary>Writes a predict request: the whole input (a request or a micro-batch) as columns.</summary>
    public static void WritePredict(ArrayBufferWriter<byte> frame, long id, ModelInput input, bool table, bool single)
    {
        var columns = new (ModelTensor Tensor, string Dtype, bool Raw, ReadOnlyMemory<byte> Bytes, long Length)[input.Tensors.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var t = input.Tensors[i];
            var (dtype, raw, bytes) = Encode(t);
            columns[i] = (t, dtype, raw, bytes, raw ? (long)t.Length * RawSize(t) : bytes.Length);
        }

        var header = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(header, HeaderOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("id"u8, id);
            w.WriteString("op"u8, "predict"u8);
            w.WriteString("kind"u8, table ? "table"u8 : "tensors"u8);
            w.WriteBoolean("single"u8, single);
            if (input.Params is { Count: > 0 } parameters)
            {
                w.WritePropertyName("params"u8);
                WriteParams(w, parameters);
            }

            w.WriteStartArray("columns"u8);
            foreach (var c in columns)
            {
                w.WriteStartObject();
                w.WriteString("name"u8, c.Tensor.Name);
                w.WriteString("dtype"u8, c.Dtype);
                w.WriteString("enc"u8, c.Raw ? "raw"u8 : "json"u8);
                w.WriteNumber("nbytes"u8, c.Length);
                w.WriteStartArray("shape"u8);
                foreach (var d in c.Tensor.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        long total = 4 + header.WrittenCount;
        foreach (var c in columns)
        {
            total += c.Length;
        }

        if (total > MaxFrameBytes)
        {
            throw MlflowException.InvalidParameter($"The input is too large to send to a Python worker ({total} bytes; at most {MaxFrameBytes}).");
        }

        WriteU32(frame, (int)total);
        WriteU32(frame, header.WrittenCount);
        frame.Write(header.WrittenSpan);
        foreach (var c in columns)
        {
            if (c.Raw)
            {
                WriteRaw(frame, c.Tensor);
            }
            else
            {
                frame.Write(c.Bytes.Span);
            }
        }
    }

    private static void WriteParams(Utf8JsonWriter w, IReadOnlyDictionary<string, object?> parameters)
    {
        w.WriteStartObject();
        foreach (var (name, value) in parameters)
        {
            w.WritePropertyName(name);
            WriteParam(w, value);
        }

        w.WriteEndObject();
    }

    private static void WriteParam(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case double d:
                w.WriteNumberValue(d);
                break;
            case float f:
                w.WriteNumberValue(f);
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case System.Collections.IEnumerable list:
                w.WriteStartArray();
                foreach (var item in list)
                {
                    WriteParam(w, item);
                }

                w.WriteEndArray();
                break;
            default:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>Writes a frame that is only a header (ping).</summary>
    public static void WriteControl(ArrayBufferWriter<byte> frame, long id, string op)
    {
        var header = new ArrayBufferWriter<byte>(64);
        using (var w = new Utf8JsonWriter(header, HeaderOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("id"u8, id);
            w.WriteString("op"u8, op);
            w.WriteEndObject();
        }

        WriteU32(frame, 4 + header.WrittenCount);
        WriteU32(frame, header.WrittenCount);
        frame.Write(header.WrittenSpan);
    }

    /// <summary>Reads one frame's header and payload; null at end of stream.</summary>
    public static async Task<WorkerReply?> ReadAsync(Stream stream, CancellationToken ct)
    {
        var prefix = new byte[4];
        if (!await ReadExactAsync(stream, prefix, ct).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        if (length < 4 || length > MaxFrameBytes)
        {
            throw new InvalidDataException($"The Python worker sent a frame of {length} bytes; the pipe is out of step.");
        }

        var frame = new byte[length];
        if (!await ReadExactAsync(stream, frame, ct).ConfigureAwait(false))
        {
            return null;
        }

        var headerLength = BinaryPrimitives.ReadInt32LittleEndian(frame);
        if (headerLength < 0 || headerLength > length - 4)
        {
            throw new InvalidDataException("The Python worker sent a frame whose header overruns it.");
        }

        using var doc = JsonDocument.Parse(frame.AsMemory(4, headerLength));
        return new WorkerReply(doc.RootElement.Clone(), frame.AsMemory(4 + headerLength));
    }

    /// <summary>The outputs of a successful predict reply; a failed one throws what the model raised.</summary>
    public static ModelOutput ToOutput(WorkerReply reply)
    {
        reply.ThrowIfFailed();
        var header = reply.Header;
        var columns = header.GetProperty("columns"u8);
        var tensors = new ModelTensor[columns.GetArrayLength()];
        var payload = reply.Payload;
        var offset = 0;
        var i = 0;
        foreach (var c in columns.EnumerateArray())
        {
            var name = c.GetProperty("name"u8).GetString() ?? "predictions";
            var dtype = c.GetProperty("dtype"u8).GetString();
            var raw = c.GetProperty("enc"u8).ValueEquals("raw"u8);
            var n = c.GetProperty("nbytes"u8).GetInt32();
            var shape = c.GetProperty("shape"u8).EnumerateArray().Select(d => d.GetInt32()).ToArray();
            if (n < 0 || offset + n > payload.Length)
            {
                throw new InvalidDataException($"The Python worker's output '{name}' overruns its frame.");
            }

            var bytes = payload.Span.Slice(offset, n);
            offset += n;
            tensors[i++] = raw ? Raw(name, dtype, bytes, shape) : Text(name, bytes, shape);
        }

        var form = header.TryGetProperty("kind"u8, out var kind) ? kind.GetString() switch
        {
            "frame" => OutputForm.Records,
            "array" => OutputForm.Array,
            "dict" => OutputForm.Columns,
            _ => OutputForm.Default,
        } : OutputForm.Default;
        return new ModelOutput(tensors) { Form = form };
    }

    private static ModelTensor Raw(string name, string? dtype, ReadOnlySpan<byte> bytes, int[] shape) => dtype switch
    {
        "float64" => Copy<double>(name, bytes, shape),
        "float32" => Copy<float>(name, bytes, shape),
        "int64" => Copy<long>(name, bytes, shape),
        "int32" => Copy<int>(name, bytes, shape),
        "uint64" => Copy<ulong>(name, bytes, shape),
        "bool" => Copy<bool>(name, bytes, shape),
        _ => throw new InvalidDataException($"The Python worker sent output '{name}' as {dtype}, which Strata does not read."),
    };

    private static ModelTensor<T> Copy<T>(string name, ReadOnlySpan<byte> bytes, int[] shape)
        where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(bytes).ToArray();
        return new ModelTensor<T>(name, values, shape);
    }

    private static ModelTensor<string> Text(string name, ReadOnlySpan<byte> bytes, int[] shape)
    {
        var values = JsonSerializer.Deserialize(bytes, WorkerJson.Default.StringArray) ?? [];
        return new ModelTensor<string>(name, values, shape);
    }

    /// <summary>The dtype a tensor travels as; text columns are serialized here, raw ones are copied into the frame later.</summary>
    private static (string Dtype, bool Raw, ReadOnlyMemory<byte> Json) Encode(ModelTensor t) => t switch
    {
        ModelTensor<double> => ("float64", true, default),
        ModelTensor<float> => ("float32", true, default),
        ModelTensor<long> => ("int64", true, default),
        ModelTensor<int> => ("int32", true, default),
        ModelTensor<bool> => ("bool", true, default),
        ModelTensor<short> => ("int16", true, default),
        ModelTensor<sbyte> => ("int8", true, default),
        ModelTensor<byte> => ("uint8", true, default),
        ModelTensor<ushort> => ("uint16", true, default),
        ModelTensor<uint> => ("uint32", true, default),
        ModelTensor<ulong> => ("uint64", true, default),
        ModelTensor<Half> => ("float16", true, default),
        ModelTensor<string> s => ("str", false, Json(s.Span.ToArray())),
        ModelTensor<byte[]> s => ("bytes", false, Json(s.Span.ToArray().Select(Convert.ToBase64String).ToArray())),
        ModelTensor<DateTime> s => ("datetime64[ns]", false,
            Json(s.Span.ToArray().Select(v => v.ToString("yyyy-MM-ddTHH:mm:ss.fffffff", CultureInfo.InvariantCulture)).ToArray())),
        _ => throw MlflowException.InvalidParameter($"Input '{t.Name}' of type {t.ElementType.ToNumpyName()} cannot be sent to a Python worker."),
    };

    private static int RawSize(ModelTensor t) => t switch
    {
        ModelTensor<double> or ModelTensor<long> or ModelTensor<ulong> => 8,
        ModelTensor<float> or ModelTensor<int> or ModelTensor<uint> => 4,
        ModelTensor<short> or ModelTensor<ushort> or ModelTensor<Half> => 2,
        _ => 1,
    };

    private static void WriteRaw(ArrayBufferWriter<byte> frame, ModelTensor t)
    {
        switch (t)
        {
            case ModelTensor<double> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<float> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<long> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<int> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<bool> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<short> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<sbyte> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<byte> x: frame.Write(x.Span); break;
            case ModelTensor<ushort> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<uint> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<ulong> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            case ModelTensor<Half> x: frame.Write(MemoryMarshal.AsBytes(x.Span)); break;
            default: throw new InvalidOperationException(t.GetType().Name);
        }
    }

    private static ReadOnlyMemory<byte> Json(string[] values) => JsonSerializer.SerializeToUtf8Bytes(values, WorkerJson.Default.StringArray);

    private static void WriteU32(ArrayBufferWriter<byte> frame, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(frame.GetSpan(4), value);
        frame.Advance(4);
    }

    private static async Task<bool> ReadExactAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var got = 0;
        while (got < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[got..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            got += n;
        }

        return true;
    }
}

/// <summary>One frame from a worker: its JSON header and the column bytes after it.</summary>
internal sealed record WorkerReply(JsonElement Header, ReadOnlyMemory<byte> Payload)
{
    public bool Ok => Header.TryGetProperty("ok"u8, out var ok) && ok.ValueKind == JsonValueKind.True;

    public string? Message => Header.TryGetProperty("message"u8, out var m) ? m.GetString() : null;

    public string? StackTrace => Header.TryGetProperty("stack_trace"u8, out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

    public ErrorCode Code =>
        Header.TryGetProperty("error_code"u8, out var c) && Enum.TryParse<ErrorCode>(c.GetString(), out var code) ? code : ErrorCode.BAD_REQUEST;

    /// <summary>A failed reply is what the model (or MLflow's enforcement inside the worker) raised.</summary>
    public void ThrowIfFailed()
    {
        if (!Ok)
        {
            throw new ModelFailedException(Code, Message ?? "The Python model failed.", StackTrace);
        }
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class WorkerJson : System.Text.Json.Serialization.JsonSerializerContext;
