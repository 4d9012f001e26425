using System.Globalization;
using Microsoft.ML.Data;

namespace Strata.Examples.Monitoring;

/// <summary>What the served model reads: one day's measurements, named as the CSV names them.</summary>
public class WeatherInput
{
    [ColumnName("precipitation")]
    public float Precipitation { get; set; }

    [ColumnName("temp_max")]
    public float TempMax { get; set; }

    [ColumnName("temp_min")]
    public float TempMin { get; set; }

    [ColumnName("wind")]
    public float Wind { get; set; }
}

/// <summary>A day with its date and the observed weather (the label).</summary>
public sealed class WeatherDay : WeatherInput
{
    [NoColumn]
    public DateOnly Date { get; set; }

    [ColumnName("weather")]
    public string Weather { get; set; } = "";
}

public sealed class WeatherPrediction
{
    public string PredictedLabel { get; set; } = "";
}

public static class WeatherData
{
    public static IReadOnlyList<WeatherDay> Load(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0).Select(line =>
        {
            var f = line.Split(',');
            return new WeatherDay
            {
                Date = DateOnly.ParseExact(f[0], "yyyy-MM-dd", CultureInfo.InvariantCulture),
                Precipitation = float.Parse(f[1], CultureInfo.InvariantCulture),
                TempMax = float.Parse(f[2], CultureInfo.InvariantCulture),
                TempMin = float.Parse(f[3], CultureInfo.InvariantCulture),
                Wind = float.Parse(f[4], CultureInfo.InvariantCulture),
                Weather = f[5],
            };
        }).ToList();

    /// <summary>A dataframe_split request body for the days (the scoring protocol MLflow's client sends).</summary>
    public static string Request(IEnumerable<WeatherDay> days) =>
        "{\"dataframe_split\": {\"columns\": [\"precipitation\", \"temp_max\", \"temp_min\", \"wind\"], \"data\": ["
        + string.Join(", ", days.Select(d => FormattableString.Invariant($"[{d.Precipitation}, {d.TempMax}, {d.TempMin}, {d.Wind}]")))
        + "]}}";
}
