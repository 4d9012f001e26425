using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// A column (or tensor) of a request to a model without a signature. Values are kept as they came (null, boolean,
/// integer, number, string, or an object's JSON text) and the element type is chosen once the column is complete, the
/// way pandas picks a DataFrame column's dtype: all integers is int64, numbers (and nulls among them) float64 with NaN
/// for null, all booleans bool, strings (and nulls) text with null kept as None. A column mixing kinds reaches the model
/// as text (an object column), each value in its Python spelling.
/// </summary>
internal sealed class InferredColumn(string name, string label) : ColumnBuffer(name, label)
{
    // pandas.read_csv's default missing-value markers.
    private static readonly FrozenSet<string> CsvMissing = new[]
    {
        "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL",
        "NaN", "None", "n/a", "nan", "null",
    }.ToFrozenSet(StringComparer.Ordinal);

    private Cell[] _cells = new Cell[4];
    private int _count;

    private enum Kind : byte
    {
        Null,
        Bool,
        Int,
        Float,
        Text,
        Json,
    }

    public override int Count => _count;

    /// <summary>Known only once built; string until then.</summary>
    public override TensorElementType ElementType => TensorElementType.String;

    /// <summary>Counts a row this column has no value for (a record without the key): a missing value, as pandas fills it.</summary>
    public void AddMissing()
    {
        if (CellRank > 0)
        {
            throw MlflowException.InvalidParameter($"Input {Label} holds lists, and a record has no value for it; every record needs it.");
        }

        AddText(null);
    }

    protected override void AppendJson(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                Append(new Cell(Kind.Null, 0, 0, null));
                break;
            case JsonTokenType.True:
            case JsonTokenType.False:
                Append(new Cell(Kind.Bool, reader.TokenType == JsonTokenType.True ? 1 : 0, 0, null));
                break;
            case JsonTokenType.Number when reader.TryGetInt64(out var l):
                Append(new Cell(Kind.Int, l, l, null));
                break;
            case JsonTokenType.Number when reader.TryGetDouble(out var d) && double.IsFinite(d):
                Append(new Cell(Kind.Float, 0, d, null));
                break;
            case JsonTokenType.Number:
                Append(new Cell(Kind.Json, 0, 0, System.Text.Encoding.UTF8.GetString(reader.ValueSpan)));
                break;
            case JsonTokenType.String:
                Append(new Cell(Kind.Text, 0, 0, reader.GetString()));
                break;
            case JsonTokenType.StartObject:
                using (var document = JsonDocument.ParseValue(ref reader))
                {
                    Append(new Cell(Kind.Json, 0, 0, document.RootElement.GetRawText()));
                }

                break;
            default:
                throw WrongType(ref reader, "JSON");
        }
    }

    /// <summary>A CSV field, read as pandas.read_csv reads it without dtypes.</summary>
    protected override void AppendText(string? text)
    {
        if (text is null || CsvMissing.Contains(text))
        {
            Append(new Cell(Kind.Null, 0, 0, null));
        }
        else if (long.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var l))
        {
            Append(new Cell(Kind.Int, l, l, null));
        }
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            Append(new Cell(Kind.Float, 0, d, null));
        }
        else if (text is "True" or "TRUE" or "true" or "False" or "FALSE" or "false")
        {
            Append(new Cell(Kind.Bool, text[0] is 'T' or 't' ? 1 : 0, 0, null));
        }
        else
        {
            Append(new Cell(Kind.Text, 0, 0, text));
        }
    }

    public override ModelTensor Build(int[] shape)
    {
        var kinds = 0;
        for (var i = 0; i < _count; i++)
        {
            kinds |= 1 << (int)_cells[i].Kind;
        }

        var hasNull = (kinds & Bit(Kind.Null)) != 0;
        var values = kinds & ~Bit(Kind.Null);
        if (values == Bit(Kind.Int) && !hasNull)
        {
            return Tensor(shape, c => c.Int);
        }

        if (values != 0 && (values & ~(Bit(Kind.Int) | Bit(Kind.Float))) == 0)
        {
            return Tensor(shape, c => c.Kind == Kind.Null ? double.NaN : c.Float);
        }

        if (values == Bit(Kind.Bool) && !hasNull)
        {
            return Tensor(shape, c => c.Int != 0);
        }

        // Text, nothing but missing values, or a mix: an object column.
        return Tensor(shape, PythonText);
    }

    private static int Bit(Kind kind) => 1 << (int)kind;

    private static string? PythonText(Cell cell) => cell.Kind switch
    {
        Kind.Null => null,
        Kind.Bool => cell.Int != 0 ? "True" : "False",
        Kind.Int => cell.Int.ToString(CultureInfo.InvariantCulture),
        Kind.Float => cell.Float.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e'),
        _ => cell.Text,
    };

    private ModelTensor<T> Tensor<T>(int[] shape, Func<Cell, T> convert)
    {
        var values = new T[_count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = convert(_cells[i]);
        }

        return new ModelTensor<T>(Name, values, shape);
    }

    private void Append(Cell cell)
    {
        if (_count == _cells.Length)
        {
            Array.Resize(ref _cells, _cells.Length * 2);
        }

        _cells[_count++] = cell;
    }

    private readonly record struct Cell(Kind Kind, long Int, double Float, string? Text);
}
