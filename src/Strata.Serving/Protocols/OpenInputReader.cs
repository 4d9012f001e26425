using System.Globalization;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// Reads the data of a request to a model without a signature, as <c>mlflow models serve</c> does for such a model:
/// <c>dataframe_split</c>, <c>dataframe_records</c> and CSV become a table (a pandas DataFrame) with the request's own
/// columns; <c>instances</c> and <c>inputs</c> become one array or named arrays (numpy). Types come from the values
/// (<see cref="InferredColumn"/>); nothing is checked against a schema.
/// </summary>
internal static class OpenInputReader
{
    /// <summary>The name of the one array of an <c>instances</c> or <c>inputs</c> list (it reaches the model unnamed).</summary>
    public const string ArrayName = "input";

    public static ModelInput Read(ref Utf8JsonReader reader, InvocationFormat format)
    {
        var columns = new OpenColumns();
        InputForm form;
        switch (format)
        {
            case InvocationFormat.DataframeSplit:
                ReadSplit(ref reader, columns);
                form = InputForm.Table;
                break;
            case InvocationFormat.DataframeRecords:
                ExpectArray(ref reader, "dataframe_records");
                ReadRecords(ref reader, columns, pad: true, "Record");
                form = InputForm.Table;
                break;
            case InvocationFormat.Instances:
                form = ReadInstances(ref reader, columns);
                break;
            default:
                form = ReadInputs(ref reader, columns);
                break;
        }

        return columns.Finish(form);
    }

    /// <summary>CSV records (the first is the header), each field's type inferred as pandas.read_csv does.</summary>
    public static ModelInput ReadCsv(List<List<string?>> records)
    {
        var header = records[0];
        var columns = new OpenColumns();
        var map = new InferredColumn[header.Count];
        for (var i = 0; i < header.Count; i++)
        {
            map[i] = columns.Add(header[i] ?? $"Unnamed: {i}", "the CSV header");
        }

        for (var r = 1; r < records.Count; r++)
        {
            var record = records[r];
            if (record.Count != header.Count)
            {
                throw MlflowException.InvalidParameter($"CSV row {r} has {record.Count} fields but the header has {header.Count}.");
            }

            for (var c = 0; c < record.Count; c++)
            {
                map[c].AddText(record[c]);
            }
        }

        return columns.Finish(InputForm.Table);
    }

    private static void ExpectArray(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. '{field}' must be a list.");
        }
    }

    private static void ReadSplit(ref Utf8JsonReader reader, OpenColumns columns)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'dataframe_split' must be an object with 'data' and optionally 'columns' and 'index'.");
        }

        var data = default(Utf8JsonReader);
        var hasData = false;
        var named = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("columns"u8))
            {
                reader.Read();
                ExpectArray(ref reader, "dataframe_split.columns");
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'dataframe_split.columns' must be a list of column names.");
                    }

                    columns.Add(reader.GetString()!, "'dataframe_split.columns'");
                }

                named = true;
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                ExpectArray(ref reader, "dataframe_split.data");
                data = reader;
                hasData = true;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("index"u8))
            {
                reader.Read();
                reader.Skip();
            }
            else
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST,
                    $"Invalid input. 'dataframe_split' only takes the keys 'columns', 'data' and 'index'; got '{reader.GetString()}'.");
            }
        }

        if (!hasData)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'dataframe_split' needs 'data'.");
        }

        var row = 0;
        while (data.Read() && data.TokenType != JsonTokenType.EndArray)
        {
            if (data.TokenType != JsonTokenType.StartArray)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. Row {row} of 'dataframe_split' must be a list of values.");
            }

            var position = 0;
            while (data.Read() && data.TokenType != JsonTokenType.EndArray)
            {
                if (position == columns.Count)
                {
                    if (named || row > 0)
                    {
                        throw MlflowException.InvalidParameter($"Row {row} of 'dataframe_split' has more values than the {columns.Count} columns.");
                    }

                    // No column names: pandas numbers the columns 0, 1, ... (the worker gives the model those numbers).
                    columns.Add(position.ToString(CultureInfo.InvariantCulture), "'dataframe_split'");
                }

                columns[position].AddCell(ref data);
                position++;
            }

            if (position != columns.Count)
            {
                throw MlflowException.InvalidParameter($"Row {row} of 'dataframe_split' has {position} values but there are {columns.Count} columns.");
            }

            row++;
        }
    }

    /// <summary>Objects of column name to value. <paramref name="pad"/>: a key a record lacks is a missing value (pandas).</summary>
    private static void ReadRecords(ref Utf8JsonReader reader, OpenColumns columns, bool pad, string what)
    {
        var row = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. {what} {row} must be an object of column names to values.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                var column = columns.Find(name);
                if (column is null)
                {
                    column = columns.Add(name, "a record");
                    for (var i = 0; pad && i < row; i++)
                    {
                        column.AddMissing();
                    }
                }

                reader.Read();
                if (column.Rows > row)
                {
                    throw MlflowException.InvalidParameter($"{what} {row} has the key '{name}' twice.");
                }

                column.AddCell(ref reader);
            }

            row++;
            if (pad)
            {
                foreach (var column in columns.All)
                {
                    if (column.Rows < row)
                    {
                        column.AddMissing();
                    }
                }
            }
        }
    }

    /// <summary>Objects become named arrays (of equal length, as MLflow checks); anything else is one array.</summary>
    private static InputForm ReadInstances(ref Utf8JsonReader reader, OpenColumns columns)
    {
        ExpectArray(ref reader, "instances");
        var peek = reader;
        if (!peek.Read() || peek.TokenType == JsonTokenType.EndArray)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'instances' is empty.");
        }

        if (peek.TokenType == JsonTokenType.StartObject)
        {
            ReadRecords(ref reader, columns, pad: false, "Instance");
            foreach (var column in columns.All)
            {
                if (column.Rows != columns[0].Rows)
                {
                    throw MlflowException.InvalidParameter("The length of values for each input/column name are not the same");
                }
            }

            return InputForm.Columns;
        }

        columns.Add(ArrayName, "'instances'").AddTensor(ref reader);
        return InputForm.Array;
    }

    /// <summary>An object of name to array (named arrays), or one array.</summary>
    private static InputForm ReadInputs(ref Utf8JsonReader reader, OpenColumns columns)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            columns.Add(ArrayName, "'inputs'").AddTensor(ref reader);
            return InputForm.Array;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var column = columns.Add(reader.GetString()!, "'inputs'");
            reader.Read();
            column.AddTensor(ref reader);
        }

        return InputForm.Columns;
    }

    /// <summary>The columns of one request, in the order they were first named.</summary>
    private sealed class OpenColumns
    {
        private readonly List<InferredColumn> _columns = [];
        private readonly Dictionary<string, InferredColumn> _byName = new(StringComparer.Ordinal);

        public int Count => _columns.Count;

        public IReadOnlyList<InferredColumn> All => _columns;

        public InferredColumn this[int index] => _columns[index];

        public InferredColumn? Find(string name) => _byName.GetValueOrDefault(name);

        public InferredColumn Add(string name, string where)
        {
            var column = new InferredColumn(name, $"column '{name}'");
            if (!_byName.TryAdd(name, column))
            {
                throw MlflowException.InvalidParameter($"The column '{name}' appears twice in {where}.");
            }

            _columns.Add(column);
            return column;
        }

        public ModelInput Finish(InputForm form)
        {
            if (_columns.Count == 0)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. The request holds no input data.");
            }

            var tensors = new ModelTensor[_columns.Count];
            for (var i = 0; i < tensors.Length; i++)
            {
                tensors[i] = _columns[i].Build();
            }

            return new ModelInput(tensors) { Form = form };
        }
    }
}
