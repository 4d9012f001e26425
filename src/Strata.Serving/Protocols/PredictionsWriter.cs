using System.Text.Json;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// MLflow's response body <c>{"predictions": P}</c>. A table request gets a table answer: one output becomes a list
/// with one entry per row (a scalar, or the row's nested values); several become records <c>[{"name": v}, ...]</c>
/// (a DataFrame). A tensor request (<c>inputs</c>) gets the array nested by its shape, or a dict of them.
/// </summary>
public static class PredictionsWriter
{
    public static void Write(Utf8JsonWriter writer, ModelOutput output, bool table)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(output);
        writer.WriteStartObject();
        writer.WritePropertyName("predictions"u8);
        var tensors = output.Tensors;
        if (output.Form == OutputForm.Records && tensors.All(t => t.Rows == tensors[0].Rows))
        {
            WriteRecords(writer, tensors);
        }
        else if (output.Form == OutputForm.Array && tensors.Count == 1)
        {
            TensorJson.WriteNested(writer, tensors[0], tensors[0].Shape, 0);
        }
        else if (output.Form == OutputForm.Columns)
        {
            WriteColumns(writer, tensors);
        }
        else if (tensors.Count == 1)
        {
            var t = tensors[0];
            if (table && t.RowWidth == 1)
            {
                TensorJson.WriteFlat(writer, t);
            }
            else
            {
                TensorJson.WriteNested(writer, t, t.Shape, 0);
            }
        }
        else if (table && tensors.All(t => t.Rows == tensors[0].Rows))
        {
            WriteRecords(writer, tensors);
        }
        else
        {
            WriteColumns(writer, tensors);
        }

        writer.WriteEndObject();
    }

    private static void WriteColumns(Utf8JsonWriter writer, IReadOnlyList<ModelTensor> tensors)
    {
        writer.WriteStartObject();
        foreach (var t in tensors)
        {
            writer.WritePropertyName(t.Name);
            TensorJson.WriteNested(writer, t, t.Shape, 0);
        }

        writer.WriteEndObject();
    }

    private static void WriteRecords(Utf8JsonWriter writer, IReadOnlyList<ModelTensor> tensors)
    {
        writer.WriteStartArray();
        var rows = tensors[0].Rows;
        for (var r = 0; r < rows; r++)
        {
            writer.WriteStartObject();
            foreach (var t in tensors)
            {
                writer.WritePropertyName(t.Name);
                var width = t.RowWidth;
                if (width == 1)
                {
                    TensorJson.WriteValue(writer, t, r);
                }
                else
                {
                    TensorJson.WriteNested(writer, t, t.Shape.AsSpan(1), r * width);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
