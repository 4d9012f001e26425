using System.Buffers;
using System.Text.Json;

namespace Strata.Core.Monitoring;

/// <summary>
/// The fast path for the response MLflow's scoring protocol gives for a single-output model,
/// <c>{"predictions": [number, number, ...]}</c>: the numbers straight into the prediction column, with no document.
/// It gives up (returning false) before adding anything when the body has any other form, and the general reader takes
/// over.
/// </summary>
internal static class PredictionListReader
{
    public static bool TryRead(ReadOnlySpan<byte> body, FeatureTable table)
    {
        var json = new Utf8JsonReader(body);
        var numbers = ArrayPool<double>.Shared.Rent(256);
        var count = 0;
        try
        {
            if (!json.Read() || json.TokenType != JsonTokenType.StartObject
                || !json.Read() || json.TokenType != JsonTokenType.PropertyName || !json.ValueTextEquals("predictions"u8)
                || !json.Read() || json.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }

            while (json.Read() && json.TokenType == JsonTokenType.Number)
            {
                if (!DecimalText.TryParse(json.ValueSpan, out var number) && !json.TryGetDouble(out number))
                {
                    return false;
                }

                if (count == numbers.Length)
                {
                    var larger = ArrayPool<double>.Shared.Rent(count * 2);
                    numbers.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<double>.Shared.Return(numbers);
                    numbers = larger;
                }

                numbers[count++] = number;
            }

            // The array ends, then the object, then the body: anything else (a string, a row, a second property) is
            // not this form. An empty list is left to the general reader too (it adds no column for it).
            if (count == 0 || json.TokenType != JsonTokenType.EndArray || !json.Read() || json.TokenType != JsonTokenType.EndObject || json.Read())
            {
                return false;
            }

            // Nothing was added above, so a refusal leaves the table as it was.
            var column = table.Column(ScoringPayloadReader.PredictionColumn);
            foreach (var number in numbers.AsSpan(0, count))
            {
                column.AddNumber(number);
            }

            table.EndRows(count);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(numbers);
        }
    }
}
