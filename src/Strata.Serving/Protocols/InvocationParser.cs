using System.Text;
using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// Parses an <c>/invocations</c> body (every JSON form of MLflow's scoring protocol, and CSV) with a
/// <see cref="Utf8JsonReader"/> straight into typed column buffers laid out by the model's input schema.
/// </summary>
public static class InvocationParser
{
    private const string FormatKeys = "{'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";

    private const string ProtocolNote =
        " Since MLflow 2.0 the scoring protocol wraps the input in one of these keys (for example {\"dataframe_split\": {...}});"
        + " 1.x request bodies are no longer accepted.";

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Which body a Content-Type header announces; 415 for anything the server does not score.</summary>
    public static bool IsCsv(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            throw new UnsupportedMediaTypeException(
                "The request has no Content-Type header. This predictor only supports the following content types: ['text/csv', 'application/json'].");
        }

        var parts = contentType.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var media = parts.Length == 0 ? string.Empty : parts[0];
        var unknown = new List<string>();
        for (var i = 1; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            var key = (eq < 0 ? parts[i] : parts[i][..eq]).Trim();
            var value = eq < 0 ? string.Empty : parts[i][(eq + 1)..].Trim().Trim('"');
            if (key.Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                if (!value.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UnsupportedMediaTypeException("The scoring server only supports UTF-8");
                }
            }
            else
            {
                unknown.Add(key);
            }
        }

        if (unknown.Count > 0)
        {
            throw new UnsupportedMediaTypeException(
                $"Unrecognized content type parameters: {string.Join(", ", unknown)}.{ProtocolNote}");
        }

        if (media.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (media.Equals("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        throw new UnsupportedMediaTypeException(
            $"This predictor only supports the following content types: ['text/csv', 'application/json']. Got '{contentType}'.");
    }

    public static InvocationRequest Parse(ReadOnlySpan<byte> body, string? contentType, InputLayout layout, IReadOnlyList<ParamSpec>? paramSpecs)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return IsCsv(contentType)
            ? new InvocationRequest(InvocationFormat.Csv, CsvInputReader.Read(body, layout), null)
            : ParseJson(body, layout, paramSpecs);
    }

    public static InvocationRequest ParseJson(ReadOnlySpan<byte> body, InputLayout layout, IReadOnlyList<ParamSpec>? paramSpecs)
    {
        try
        {
            return ParseJsonCore(body, layout, paramSpecs);
        }
        catch (JsonException e)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. The body is not valid JSON: {e.Message}");
        }
    }

    private static InvocationRequest ParseJsonCore(ReadOnlySpan<byte> body, InputLayout layout, IReadOnlyList<ParamSpec>? paramSpecs)
    {
        var reader = new Utf8JsonReader(body, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST,
                $"Invalid input. The request body must be a JSON dictionary with exactly one of the input fields {FormatKeys}.{ProtocolNote}");
        }

        InvocationFormat? format = null;
        ModelInput? input = null;
        IReadOnlyDictionary<string, object?>? parameters = null;
        List<string>? keys = null;
        var llm = false;
        var signatureName = false;
        var data = default(Utf8JsonReader);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            InvocationFormat? found = null;
            if (reader.ValueTextEquals("dataframe_split"u8))
            {
                found = InvocationFormat.DataframeSplit;
            }
            else if (reader.ValueTextEquals("dataframe_records"u8))
            {
                found = InvocationFormat.DataframeRecords;
            }
            else if (reader.ValueTextEquals("instances"u8))
            {
                found = InvocationFormat.Instances;
            }
            else if (reader.ValueTextEquals("inputs"u8))
            {
                found = InvocationFormat.Inputs;
            }
            else if (reader.ValueTextEquals("params"u8))
            {
                reader.Read();
                parameters = ParamsReader.Read(ref reader, paramSpecs);
                continue;
            }
            else if (reader.ValueTextEquals("messages"u8) || reader.ValueTextEquals("prompt"u8) || reader.ValueTextEquals("input"u8))
            {
                llm = true;
            }
            else if (reader.ValueTextEquals("signature_name"u8))
            {
                signatureName = true;
            }

            if (found is null)
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            (keys ??= []).Add(reader.GetString()!);
            if (format is not null)
            {
                throw TooManyKeys(keys);
            }

            // Keep a checkpoint and read the data after every key has been seen, so a body with two data keys is
            // refused as such rather than for whatever the first one holds.
            format = found;
            reader.Read();
            data = reader;
            reader.Skip();
        }

        if (format is not null && layout.IsOpen)
        {
            input = OpenInputReader.Read(ref data, format.Value);
        }
        else if (format is not null)
        {
            var buffers = new ColumnBuffer?[layout.Count];
            switch (format.Value)
            {
                case InvocationFormat.DataframeSplit:
                    ReadSplit(ref data, layout, buffers);
                    break;
                case InvocationFormat.DataframeRecords:
                    ExpectArray(ref data, "dataframe_records");
                    ReadRecords(ref data, layout, buffers);
                    break;
                case InvocationFormat.Instances:
                    ExpectArray(ref data, "instances");
                    ReadInstances(ref data, layout, buffers);
                    break;
                default:
                    ReadInputs(ref data, layout, buffers);
                    break;
            }

            input = layout.Finish(buffers);
        }

        if (format is null || input is null)
        {
            if (llm)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST,
                    "Invalid input. This model does not take chat or completion requests (messages, prompt, input); "
                    + $"send its data in one of the fields {FormatKeys}.");
            }

            throw TooManyKeys(keys ?? []);
        }

        if (signatureName)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. signature_name is not supported; send the data alone.");
        }

        return new InvocationRequest(format.Value, input, parameters);
    }

    private static MlflowException TooManyKeys(List<string> keys) =>
        new(ErrorCode.BAD_REQUEST,
            $"Invalid input. The input must be a JSON dictionary with exactly one of the input fields {FormatKeys}. "
            + $"Received dictionary with input fields: [{string.Join(", ", keys.Select(k => $"'{k}'"))}].{ProtocolNote}");

    private static void ExpectArray(ref Utf8JsonReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. '{field}' must be a list.");
        }
    }

    private static ColumnBuffer Buffer(ColumnBuffer?[] buffers, InputLayout layout, int index) =>
        buffers[index] ??= layout.NewBuffer(index);

    /// <summary><c>{"columns": [...]?, "data": [[...], ...], "index": [...]?}</c>, keys in any order.</summary>
    private static void ReadSplit(ref Utf8JsonReader reader, InputLayout layout, ColumnBuffer?[] buffers)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'dataframe_split' must be an object with 'data' and optionally 'columns' and 'index'.");
        }

        int[]? columnMap = null;
        var data = default(Utf8JsonReader);
        var hasData = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("columns"u8))
            {
                reader.Read();
                columnMap = ReadColumnNames(ref reader, layout);
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

        ReadRows(ref data, layout, buffers, columnMap, "dataframe_split");
    }

    private static int[] ReadColumnNames(ref Utf8JsonReader reader, InputLayout layout)
    {
        ExpectArray(ref reader, "dataframe_split.columns");
        var map = new List<int>(layout.Count);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'dataframe_split.columns' must be a list of column names.");
            }

            map.Add(layout.HasNames ? layout.IndexOf(ref reader, map.Count) : map.Count < layout.Count ? map.Count : -1);
        }

        return [.. map];
    }

    /// <summary>Rows as arrays; each value goes to the input its position maps to (by the column list, or by signature order).</summary>
    private static void ReadRows(ref Utf8JsonReader reader, InputLayout layout, ColumnBuffer?[] buffers, int[]? columnMap, string field)
    {
        var row = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. Row {row} of '{field}' must be a list of values.");
            }

            var position = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var index = columnMap is null ? position : position < columnMap.Length ? columnMap[position] : -2;
                if (index == -2 || (columnMap is null && index >= layout.Count))
                {
                    var expected = columnMap?.Length ?? layout.Count;
                    throw MlflowException.InvalidParameter($"Row {row} of '{field}' has more values than the {expected} columns.");
                }

                if (index < 0)
                {
                    reader.Skip();
                }
                else
                {
                    Buffer(buffers, layout, index).AddCell(ref reader);
                }

                position++;
            }

            var width = columnMap?.Length ?? layout.Count;
            if (position != width)
            {
                throw MlflowException.InvalidParameter($"Row {row} of '{field}' has {position} values but there are {width} columns.");
            }

            row++;
        }
    }

    /// <summary>A list of <c>{"column": value}</c> objects.</summary>
    private static void ReadRecords(ref Utf8JsonReader reader, InputLayout layout, ColumnBuffer?[] buffers)
    {
        var row = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new MlflowException(ErrorCode.BAD_REQUEST, $"Invalid input. Record {row} must be an object of column names to values.");
            }

            ReadRecord(ref reader, layout, buffers, row);
            row++;
        }

        foreach (var buffer in buffers)
        {
            if (buffer is not null && buffer.Rows != row)
            {
                throw MlflowException.InvalidParameter($"Input {buffer.Label} is present in {buffer.Rows} of the {row} records; every record needs it.");
            }
        }
    }

    private static void ReadRecord(ref Utf8JsonReader reader, InputLayout layout, ColumnBuffer?[] buffers, int row)
    {
        var position = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = layout.HasNames ? layout.IndexOf(ref reader, position) : position < layout.Count ? position : -1;
            reader.Read();
            if (index < 0)
            {
                reader.Skip();
            }
            else
            {
                var buffer = Buffer(buffers, layout, index);
                if (buffer.Rows != row)
                {
                    throw MlflowException.InvalidParameter($"Input {buffer.Label} is missing from record {buffer.Rows} (or repeated).");
                }

                buffer.AddCell(ref reader);
            }

            position++;
        }
    }

    /// <summary>TF-serving rows: objects (named values), a single input's values, or positional rows.</summary>
    private static void ReadInstances(ref Utf8JsonReader reader, InputLayout layout, ColumnBuffer?[] buffers)
    {
        var peek = reader;
        if (!peek.Read() || peek.TokenType == JsonTokenType.EndArray)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'instances' is empty.");
        }

        if (peek.TokenType == JsonTokenType.StartObject)
        {
            ReadRecords(ref reader, layout, buffers);
        }
        else if (layout.Count == 1)
        {
            Buffer(buffers, layout, 0).AddTensor(ref reader);
        }
        else
        {
            ReadRows(ref reader, layout, buffers, null, "instances");
        }
    }

    /// <summary>TF-serving columns: <c>{"name": tensor, ...}</c>, or one tensor for a single-input model.</summary>
    private static void ReadInputs(ref Utf8JsonReader reader, InputLayout layout, ColumnBuffer?[] buffers)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            if (layout.Count != 1)
            {
                throw MlflowException.InvalidParameter(
                    $"The model takes {layout.Count} inputs; send 'inputs' as an object of input name to values.");
            }

            Buffer(buffers, layout, 0).AddTensor(ref reader);
            return;
        }

        var position = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var index = layout.HasNames ? layout.IndexOf(ref reader, position) : position < layout.Count ? position : -1;
            reader.Read();
            if (index < 0)
            {
                reader.Skip();
            }
            else
            {
                Buffer(buffers, layout, index).AddTensor(ref reader);
            }

            position++;
        }
    }
}
