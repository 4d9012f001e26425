using System.Text.Json;
using Strata.Core.Errors;
using Strata.Core.Models;

namespace Strata.Serving.Protocols;

/// <summary>
/// The optional <c>params</c> object of a request, checked against the signature's params: a declared param of the
/// wrong type is INVALID_PARAMETER_VALUE naming it; undeclared ones are ignored, as MLflow does (it only warns).
/// </summary>
internal static class ParamsReader
{
    public static IReadOnlyDictionary<string, object?> Read(ref Utf8JsonReader reader, IReadOnlyList<ParamSpec>? specs)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new MlflowException(ErrorCode.BAD_REQUEST, "Invalid input. 'params' must be a JSON object of parameter names to values.");
        }

        using var document = JsonDocument.ParseValue(ref reader);
        var result = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var spec = specs?.FirstOrDefault(s => s.Name == property.Name);
            if (spec is null)
            {
                continue;
            }

            result[property.Name] = Convert(property.Value, spec);
        }

        return result;
    }

    private static object? Convert(JsonElement value, ParamSpec spec)
    {
        if (spec.Shape is { Count: > 0 })
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                throw Wrong(spec, value, "a list");
            }

            return value.EnumerateArray().Select(v => Scalar(v, spec)).ToList();
        }

        return Scalar(value, spec);
    }

    private static object? Scalar(JsonElement value, ParamSpec spec)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (spec.Type is not ScalarColumnType { Type: var type })
        {
            return value.GetRawText();
        }

        return type switch
        {
            DataType.Boolean when value.ValueKind is JsonValueKind.True or JsonValueKind.False => value.GetBoolean(),
            DataType.Integer when value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var i) => i,
            DataType.Long when value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l) => l,
            DataType.Float or DataType.Double when value.ValueKind == JsonValueKind.Number => value.GetDouble(),
            DataType.String or DataType.Datetime when value.ValueKind == JsonValueKind.String => value.GetString(),
            DataType.Binary when value.ValueKind == JsonValueKind.String => value.GetString(),
            _ => throw Wrong(spec, value, type.ToWire()),
        };
    }

    private static MlflowException Wrong(ParamSpec spec, JsonElement value, string expected) =>
        MlflowException.InvalidParameter($"Failed to convert value {value.GetRawText()} of param '{spec.Name}' to {expected}.");
}
