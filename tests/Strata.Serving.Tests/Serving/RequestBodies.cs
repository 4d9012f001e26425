using System.Globalization;
using System.Text.Json;

namespace Strata.Serving.Tests.Serving;

/// <summary>Request bodies in every wire form for the houses and sensors models, and readers for the answers.</summary>
public static class RequestBodies
{
    public static string F(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    public static string Split(IEnumerable<HouseRow> rows, bool withColumns = true, bool reordered = false)
    {
        var list = rows.ToList();
        if (reordered)
        {
            return "{\"dataframe_split\": {\"data\": [" + string.Join(", ", list.Select(h => $"[{F(h.Age)}, {F(h.Size)}, {F(h.Rooms)}]"))
                + "], \"columns\": [\"Age\", \"Size\", \"Rooms\"], \"index\": [" + string.Join(", ", list.Select((_, i) => i)) + "]}}";
        }

        var data = string.Join(", ", list.Select(h => $"[{F(h.Size)}, {F(h.Rooms)}, {F(h.Age)}]"));
        return withColumns
            ? "{\"dataframe_split\": {\"columns\": [\"Size\", \"Rooms\", \"Age\"], \"data\": [" + data + "]}}"
            : "{\"dataframe_split\": {\"data\": [" + data + "]}}";
    }

    public static string Records(IEnumerable<HouseRow> rows, string key = "dataframe_records") =>
        "{\"" + key + "\": [" + string.Join(", ", rows.Select(h => $"{{\"Size\": {F(h.Size)}, \"Rooms\": {F(h.Rooms)}, \"Age\": {F(h.Age)}}}")) + "]}";

    public static string Inputs(IEnumerable<HouseRow> rows)
    {
        var list = rows.ToList();
        return "{\"inputs\": {\"Size\": [" + string.Join(", ", list.Select(h => F(h.Size))) + "], \"Rooms\": ["
            + string.Join(", ", list.Select(h => F(h.Rooms))) + "], \"Age\": [" + string.Join(", ", list.Select(h => F(h.Age))) + "]}}";
    }

    public static string Csv(IEnumerable<HouseRow> rows) =>
        "Size,Rooms,Age\n" + string.Join("\n", rows.Select(h => $"{F(h.Size)},{F(h.Rooms)},{F(h.Age)}")) + "\n";

    public static string V2Houses(IEnumerable<HouseRow> rows, bool columnShape = true, string? id = null)
    {
        var list = rows.ToList();
        var shape = columnShape ? $"[{list.Count}, 1]" : $"[{list.Count}]";
        string Input(string name, Func<HouseRow, float> value) =>
            $"{{\"name\": \"{name}\", \"shape\": {shape}, \"datatype\": \"FP32\", \"data\": [{string.Join(", ", list.Select(h => F(value(h))))}]}}";
        var idPart = id is null ? "" : $"\"id\": \"{id}\", ";
        return "{" + idPart + "\"inputs\": [" + Input("Size", h => h.Size) + ", " + Input("Rooms", h => h.Rooms) + ", " + Input("Age", h => h.Age) + "]}";
    }

    public static string SensorInstances(IEnumerable<SensorRow> rows) =>
        "{\"instances\": [" + string.Join(", ", rows.Select(r => "[" + string.Join(", ", r.Features.Select(F)) + "]")) + "]}";

    public static string SensorInputs(IEnumerable<SensorRow> rows) =>
        "{\"inputs\": {\"Features\": [" + string.Join(", ", rows.Select(r => "[" + string.Join(", ", r.Features.Select(F)) + "]")) + "]}}";

    public static string SensorRecords(IEnumerable<SensorRow> rows) =>
        "{\"dataframe_records\": [" + string.Join(", ", rows.Select(r => "{\"Features\": [" + string.Join(", ", r.Features.Select(F)) + "]}")) + "]}";

    public static string SensorV2(IEnumerable<SensorRow> rows, bool nested)
    {
        var list = rows.ToList();
        var data = nested
            ? string.Join(", ", list.Select(r => "[" + string.Join(", ", r.Features.Select(F)) + "]"))
            : string.Join(", ", list.SelectMany(r => r.Features).Select(F));
        return $"{{\"inputs\": [{{\"name\": \"Features\", \"shape\": [{list.Count}, 4], \"datatype\": \"FP32\", \"data\": [{data}]}}]}}";
    }

    /// <summary>Every number of a (nested) JSON array, in order.</summary>
    public static float[] Numbers(JsonElement element)
    {
        var values = new List<float>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray())
                {
                    Walk(item);
                }
            }
            else
            {
                values.Add((float)e.GetDouble());
            }
        }

        Walk(element);
        return [.. values];
    }

    public static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"row {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
