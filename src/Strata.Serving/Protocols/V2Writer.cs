using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>Open Inference Protocol response bodies: inference results, model metadata, errors.</summary>
public static class V2Writer
{
    public static void WriteInferenceResponse(Utf8JsonWriter writer, string modelName, string modelVersion, string? id, ModelOutput output, IReadOnlyList<string>? requested)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(output);
        if (requested is { Count: > 0 })
        {
            foreach (var name in requested)
            {
                if (output.Find(name) is null)
                {
                    throw new MlflowException(ErrorCode.BAD_REQUEST,
                        $"The model has no output named '{name}'; it returns [{string.Join(", ", output.Tensors.Select(t => $"'{t.Name}'"))}].");
                }
            }
        }

        writer.WriteStartObject();
        writer.WriteString("model_name"u8, modelName);
        writer.WriteString("model_version"u8, modelVersion);
        if (id is not null)
        {
            writer.WriteString("id"u8, id);
        }

        writer.WriteStartObject("parameters"u8);
        writer.WriteEndObject();
        writer.WriteStartArray("outputs"u8);
        foreach (var tensor in output.Tensors)
        {
            if (requested is { Count: > 0 } && !requested.Contains(tensor.Name))
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("name"u8, tensor.Name);
            writer.WriteStartArray("shape"u8);
            foreach (var d in tensor.Shape)
            {
                writer.WriteNumberValue(d);
            }

            writer.WriteEndArray();
            writer.WriteString("datatype"u8, V2Datatypes.ToV2(tensor.ElementType));
            writer.WriteStartObject("parameters"u8);
            writer.WriteEndObject();
            writer.WritePropertyName("data"u8);
            TensorJson.WriteFlat(writer, tensor);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary><c>{"name", "versions", "platform", "inputs", "outputs"}</c> from the model's signature.</summary>
    public static void WriteModelMetadata(Utf8JsonWriter writer, string modelName, string modelVersion, string platform, ModelSchema inputs, ModelSchema outputs)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("name"u8, modelName);
        writer.WriteStartArray("versions"u8);
        writer.WriteStringValue(modelVersion);
        writer.WriteEndArray();
        writer.WriteString("platform"u8, platform);
        WriteTensorMeta(writer, "inputs", "input", inputs);
        WriteTensorMeta(writer, "outputs", "output", outputs);
        writer.WriteEndObject();
    }

    public static void WriteError(Utf8JsonWriter writer, string message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("error"u8, message);
        writer.WriteEndObject();
    }

    private static void WriteTensorMeta(Utf8JsonWriter writer, string property, string prefix, ModelSchema schema)
    {
        writer.WriteStartArray(property);
        for (var i = 0; i < schema.Count; i++)
        {
            writer.WriteStartObject();
            if (schema.IsTensorBased)
            {
                var spec = schema.Tensors[i];
                writer.WriteString("name"u8, spec.Name ?? $"{prefix}-{i}");
                writer.WriteString("datatype"u8, V2Datatypes.ToV2(spec.Type));
                writer.WriteStartArray("shape"u8);
                foreach (var d in spec.Shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteStartObject("parameters"u8);
                writer.WriteString("content_type"u8, V2Datatypes.IsText(spec.Type) ? "str" : "np");
                writer.WriteEndObject();
            }
            else
            {
                var spec = schema.Columns[i];
                var element = spec.Type is ScalarColumnType s ? s.Type.ToElementType() : TensorElementType.String;
                writer.WriteString("name"u8, spec.Name ?? $"{prefix}-{i}");
                writer.WriteString("datatype"u8, V2Datatypes.ToV2(element));
                writer.WriteStartArray("shape"u8);
                writer.WriteNumberValue(-1);
                writer.WriteNumberValue(1);
                writer.WriteEndArray();
                writer.WriteStartObject("parameters"u8);
                writer.WriteString("content_type"u8, V2Datatypes.ContentType(spec.Type));
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
