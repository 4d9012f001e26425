using System.Text.Json;
using Strata.Core.Models;

namespace Strata.Serving.Models;

/// <summary>
/// Writes an input example the way MLflow saves one: a table as pandas split orient (<c>input_example.json</c>) and
/// as a ready-to-POST <c>{"dataframe_split": ...}</c> body; tensors as <c>{"inputs": {name: nested lists}}</c>.
/// </summary>
public static class InputExampleWriter
{
    public const string ExampleFile = "input_example.json";
    public const string ServingExampleFile = "serving_input_example.json";

    public static async Task<SavedInputExampleInfo> WriteAsync(string folder, ModelInput input, CancellationToken cancellationToken)
    {
        var tabular = input.Tensors.All(t => t.Shape.Length == 1);
        var example = tabular ? Json(w => WriteSplit(w, input)) : Json(w => WriteInputs(w, input));
        var serving = tabular
            ? Json(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("dataframe_split");
                WriteSplit(w, input);
                w.WriteEndObject();
            }, indented: true)
            : Json(w => WriteInputs(w, input), indented: true);
        await File.WriteAllBytesAsync(Path.Combine(folder, ExampleFile), example, cancellationToken).ConfigureAwait(false);
        await File.WriteAllBytesAsync(Path.Combine(folder, ServingExampleFile), serving, cancellationToken).ConfigureAwait(false);
        return new SavedInputExampleInfo
        {
            ArtifactPath = ExampleFile,
            Type = tabular ? "dataframe" : "ndarray",
            PandasOrient = tabular ? "split" : null,
            ServingInputPath = ServingExampleFile,
        };
    }

    private static byte[] Json(Action<Utf8JsonWriter> write, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            write(writer);
        }

        return stream.ToArray();
    }

    private static void WriteSplit(Utf8JsonWriter w, ModelInput input)
    {
        w.WriteStartObject();
        w.WriteStartArray("columns");
        foreach (var t in input.Tensors)
        {
            w.WriteStringValue(t.Name);
        }

        w.WriteEndArray();
        w.WriteStartArray("data");
        for (var r = 0; r < input.RowCount; r++)
        {
            w.WriteStartArray();
            foreach (var t in input.Tensors)
            {
                WriteValue(w, t.GetBoxed(r));
            }

            w.WriteEndArray();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteInputs(Utf8JsonWriter w, ModelInput input)
    {
        w.WriteStartObject();
        w.WriteStartObject("inputs");
        foreach (var t in input.Tensors)
        {
            w.WritePropertyName(t.Name);
            var index = 0;
            WriteNested(w, t, 0, ref index);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteNested(Utf8JsonWriter w, ModelTensor t, int dim, ref int index)
    {
        if (dim == t.Shape.Length)
        {
            WriteValue(w, t.GetBoxed(index++));
            return;
        }

        w.WriteStartArray();
        for (var i = 0; i < t.Shape[dim]; i++)
        {
            WriteNested(w, t, dim + 1, ref index);
        }

        w.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case float f when float.IsFinite(f):
                w.WriteNumberValue(f);
                break;
            case double d when double.IsFinite(d):
                w.WriteNumberValue(d);
                break;
            case float or double:
                w.WriteNullValue(); // NaN and infinities have no JSON form
                break;
            case byte[] bytes:
                w.WriteBase64StringValue(bytes);
                break;
            case DateTime dt:
                w.WriteStringValue(dt.ToString("yyyy-MM-ddTHH:mm:ss.FFFFFFF", System.Globalization.CultureInfo.InvariantCulture));
                break;
            default:
                w.WriteRawValue(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);
                break;
        }
    }
}
