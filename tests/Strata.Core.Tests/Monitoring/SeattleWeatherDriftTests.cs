using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

/// <summary>
/// The real scenario on real data (the example's data/seattle-weather.csv, vega-datasets, linked as TestData): a reference built from 2012–2013
/// (every fifth day held out), compared with 2014–2015 and with the held-out days. Seattle's 2014–2015 were warm
/// years and the station's labels changed (drizzle vanishes, fog appears): temperatures and the weather label drift,
/// precipitation and wind do not, and the held-out days drift nowhere. Expected p-values from scipy 1.x
/// (<c>ks_2samp</c>, exact; <c>chisquare</c> against the reference shares), written in.
/// </summary>
public sealed class SeattleWeatherDriftTests
{
    private static readonly string[] Numeric = ["precipitation", "temp_max", "temp_min", "wind"];

    private static (FeatureTable Reference, FeatureTable Later, FeatureTable HeldOut) Split()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "seattle-weather.csv"));
        Assert.Equal("date,precipitation,temp_max,temp_min,wind,weather", lines[0]);
        var (reference, later, heldOut) = (new FeatureTable(), new FeatureTable(), new FeatureTable());
        var trainingIndex = 0;
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            var year = int.Parse(fields[0][..4], System.Globalization.CultureInfo.InvariantCulture);
            var table = year >= 2014 ? later : trainingIndex++ % 5 == 4 ? heldOut : reference;
            for (var i = 0; i < Numeric.Length; i++)
            {
                CsvTableReader.AddValue(table.Column(Numeric[i]), fields[i + 1]);
            }

            CsvTableReader.AddValue(table.Column("weather"), fields[5]);
            table.EndRows(1);
        }

        return (reference, later, heldOut);
    }

    [Fact]
    public void The_later_period_drifts_where_the_weather_moved_and_the_held_out_days_do_not()
    {
        var (reference, later, heldOut) = Split();
        Assert.Equal((585L, 730L, 146L), (reference.RowCount, later.RowCount, heldOut.RowCount));
        var profile = ProfileBuilder.Build(reference, null, "seattle-weather.csv 2012-2013");

        var drift = DriftCalculator.Compute(profile, later, null).Features.ToDictionary(f => f.Feature);
        Expect(drift["precipitation"], DriftMethod.KolmogorovSmirnov, 0.5041252221483599, drifted: false);
        Expect(drift["temp_max"], DriftMethod.KolmogorovSmirnov, 0.0005088733609953696, drifted: true);
        Expect(drift["temp_min"], DriftMethod.KolmogorovSmirnov, 0.0012397032376706952, drifted: true);
        Expect(drift["wind"], DriftMethod.KolmogorovSmirnov, 0.07256518456258672, drifted: false);
        Expect(drift["weather"], DriftMethod.ChiSquared, 4.790760499930884e-43, drifted: true);

        var none = DriftCalculator.Compute(profile, heldOut, null);
        var held = none.Features.ToDictionary(f => f.Feature);
        Expect(held["precipitation"], DriftMethod.KolmogorovSmirnov, 0.8701271702568472, drifted: false);
        Expect(held["temp_max"], DriftMethod.KolmogorovSmirnov, 0.9860120380178278, drifted: false);
        Expect(held["temp_min"], DriftMethod.KolmogorovSmirnov, 0.9234291512241131, drifted: false);
        Expect(held["wind"], DriftMethod.KolmogorovSmirnov, 0.8777435753885492, drifted: false);
        Expect(held["weather"], DriftMethod.ChiSquared, 0.47733900217362535, drifted: false);
        Assert.Equal(0, none.DriftShare);
    }

    private static void Expect(FeatureDrift drift, string method, double pValue, bool drifted)
    {
        Assert.Equal(method, drift.Method);
        Assert.InRange(drift.Score / pValue, 1 - 1e-9, 1 + 1e-9);
        Assert.Equal(drifted, drift.Drifted);
    }
}
