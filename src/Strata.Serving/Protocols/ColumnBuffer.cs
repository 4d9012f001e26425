using System.Globalization;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// Collects the values of one input (a column or a tensor) straight from the JSON reader into a typed array of the
/// element type the signature declares, so nothing is boxed. A cell may be a scalar or nested arrays; every cell of a
/// column must have the same nested shape, which becomes the trailing dimensions of the tensor.
/// </summary>
internal abstract class ColumnBuffer
{
    // The nested shape of the first cell (every later cell must match) and of the cell being read.
    private readonly int[] _cellDims = new int[8];
    private readonly int[] _scratch = new int[8];
    private int _cellRank = -1;
    private int _scratchRank;

    protected ColumnBuffer(string name, string label)
    {
        Name = name;
        Label = label;
    }

    public string Name { get; }

    /// <summary>How messages name this input, e.g. <c>column 'Size'</c>.</summary>
    public string Label { get; }

    public int Rows { get; private set; }

    /// <summary>How deeply the cells nest (0 for scalars); -1 before the first cell.</summary>
    protected int CellRank => _cellRank;

    public abstract TensorElementType ElementType { get; }

    public static ColumnBuffer For(TensorElementType type, string name, string label) => type switch
    {
        TensorElementType.Float32 => new FloatBuffer(name, label),
        TensorElementType.Float64 => new DoubleBuffer(name, label),
        TensorElementType.Int32 => new Int32Buffer(name, label),
        TensorElementType.Int64 => new Int64Buffer(name, label),
        TensorElementType.Bool => new BoolBuffer(name, label),
        TensorElementType.String => new StringBuffer(name, label),
        TensorElementType.Binary => new BinaryBuffer(name, label),
        TensorElementType.DateTime => new DateTimeBuffer(name, label),
        _ => throw MlflowException.InvalidParameter($"Input {label} has element type {type.ToNumpyName()}, which the JSON reader does not decode."),
    };

    /// <summary>Reads one cell (the reader is on its first token) and counts one row.</summary>
    public void AddCell(ref Utf8JsonReader reader)
    {
        _scratchRank = -1;
        Array.Fill(_scratch, -1);
        ReadNested(ref reader, 0);
        if (_cellRank < 0)
        {
            _cellRank = _scratchRank;
            Array.Copy(_scratch, _cellDims, _cellRank);
        }
        else if (_cellRank != _scratchRank || !_scratch.AsSpan(0, _cellRank).SequenceEqual(_cellDims.AsSpan(0, _cellRank)))
        {
            throw Ragged();
        }

        Rows++;
    }

    /// <summary>Reads a whole tensor value (nested arrays whose outer dimension is the rows; a scalar is one row).</summary>
    public void AddTensor(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            AddCell(ref reader);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            AddCell(ref reader);
        }
    }

    /// <summary>Appends every scalar of a flat or nested array without counting rows (v2 <c>data</c>).</summary>
    public void AddFlat(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                AddFlat(ref reader);
            }
        }
        else
        {
            AppendJson(ref reader);
        }
    }

    /// <summary>Appends one CSV field.</summary>
    public void AddText(string? text)
    {
        if (_cellRank < 0)
        {
            _cellRank = 0;
        }

        AppendText(text);
        Rows++;
    }

    public abstract int Count { get; }

    /// <summary>The tensor: <c>[rows]</c> for scalar cells, <c>[rows, ...cell shape]</c> otherwise.</summary>
    public ModelTensor Build()
    {
        var rank = Math.Max(_cellRank, 0);
        var shape = new int[rank + 1];
        shape[0] = Rows;
        Array.Copy(_cellDims, 0, shape, 1, rank);
        return Build(shape);
    }

    /// <summary>The tensor under a shape given by the request (v2).</summary>
    public abstract ModelTensor Build(int[] shape);

    protected abstract void AppendJson(ref Utf8JsonReader reader);

    protected abstract void AppendText(string? text);

    protected MlflowException WrongType(ref Utf8JsonReader reader, string expected)
    {
        var got = reader.TokenType switch
        {
            JsonTokenType.String => $"the string \"{Truncate(reader.GetString())}\"",
            JsonTokenType.Number => $"the number {Truncate(System.Text.Encoding.UTF8.GetString(reader.ValueSpan))}",
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => "null",
            JsonTokenType.StartObject => "an object",
            _ => reader.TokenType.ToString(),
        };
        return MlflowException.InvalidParameter($"Incompatible input types for {Label}: expected {expected} values, got {got}.");
    }

    protected MlflowException WrongText(string? text, string expected) =>
        MlflowException.InvalidParameter($"Incompatible input types for {Label}: expected {expected} values, got \"{Truncate(text)}\".");

    private static string? Truncate(string? s) => s is { Length: > 40 } ? s[..40] + "..." : s;

    private void ReadNested(ref Utf8JsonReader reader, int level)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            if (level >= _scratch.Length)
            {
                throw MlflowException.InvalidParameter($"Input {Label} is nested deeper than {_scratch.Length} levels.");
            }

            var n = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                ReadNested(ref reader, level + 1);
                n++;
            }

            if (n == 0 && _scratchRank < 0)
            {
                _scratchRank = level + 1;
            }

            if (_scratch[level] < 0)
            {
                _scratch[level] = n;
            }
            else if (_scratch[level] != n)
            {
                throw Ragged();
            }

            return;
        }

        if (_scratchRank < 0)
        {
            _scratchRank = level;
        }
        else if (_scratchRank != level)
        {
            throw Ragged();
        }

        AppendJson(ref reader);
    }

    private MlflowException Ragged() =>
        MlflowException.InvalidParameter($"Input {Label} has rows of different shapes; every row must have the same nested shape.");
}

internal abstract class ColumnBuffer<T>(string name, string label) : ColumnBuffer(name, label)
{
    private T[] _values = new T[4];
    private int _count;

    public override int Count => _count;

    public override TensorElementType ElementType => TensorElementTypes.FromClr(typeof(T));

    protected void Append(T value)
    {
        if (_count == _values.Length)
        {
            Array.Resize(ref _values, _values.Length * 2);
        }

        _values[_count++] = value;
    }

    public override ModelTensor Build(int[] shape)
    {
        var data = _count == _values.Length ? _values : _values.AsSpan(0, _count).ToArray();
        return new ModelTensor<T>(Name, data, shape);
    }
}

internal sealed class FloatBuffer(string name, string label) : ColumnBuffer<float>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.Float32;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetSingle(out var v):
                Append(v);
                break;
            case JsonTokenType.Null:
                Append(float.NaN);
                break;
            default:
                throw WrongType(ref reader, "float");
        }
    }

    protected override void AppendText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            Append(float.NaN);
        }
        else if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongText(text, "float");
        }
    }
}

internal sealed class DoubleBuffer(string name, string label) : ColumnBuffer<double>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.Float64;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetDouble(out var v):
                Append(v);
                break;
            case JsonTokenType.Null:
                Append(double.NaN);
                break;
            default:
                throw WrongType(ref reader, "double");
        }
    }

    protected override void AppendText(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            Append(double.NaN);
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongText(text, "double");
        }
    }
}

internal sealed class Int32Buffer(string name, string label) : ColumnBuffer<int>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.Int32;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongType(ref reader, "integer");
        }
    }

    protected override void AppendText(string? text)
    {
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongText(text, "integer");
        }
    }
}

internal sealed class Int64Buffer(string name, string label) : ColumnBuffer<long>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.Int64;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongType(ref reader, "long");
        }
    }

    protected override void AppendText(string? text)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongText(text, "long");
        }
    }
}

internal sealed class BoolBuffer(string name, string label) : ColumnBuffer<bool>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.Bool;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True:
                Append(true);
                break;
            case JsonTokenType.False:
                Append(false);
                break;
            default:
                throw WrongType(ref reader, "boolean");
        }
    }

    protected override void AppendText(string? text)
    {
        if (bool.TryParse(text, out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongText(text, "boolean");
        }
    }
}

internal sealed class StringBuffer(string name, string label) : ColumnBuffer<string>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.String;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                Append(reader.GetString()!);
                break;
            case JsonTokenType.Null:
                Append(string.Empty);
                break;
            default:
                throw WrongType(ref reader, "string");
        }
    }

    protected override void AppendText(string? text) => Append(text ?? string.Empty);
}

internal sealed class BinaryBuffer(string name, string label) : ColumnBuffer<byte[]>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.Binary;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes))
        {
            Append(bytes);
        }
        else
        {
            throw WrongType(ref reader, "base64 binary");
        }
    }

    protected override void AppendText(string? text)
    {
        try
        {
            Append(Convert.FromBase64String(text ?? string.Empty));
        }
        catch (FormatException)
        {
            throw WrongText(text, "base64 binary");
        }
    }
}

internal sealed class DateTimeBuffer(string name, string label) : ColumnBuffer<DateTime>(name, label)
{
    public override TensorElementType ElementType => TensorElementType.DateTime;

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTime(out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongType(ref reader, "datetime");
        }
    }

    protected override void AppendText(string? text)
    {
        if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var v))
        {
            Append(v);
        }
        else
        {
            throw WrongText(text, "datetime");
        }
    }
}
