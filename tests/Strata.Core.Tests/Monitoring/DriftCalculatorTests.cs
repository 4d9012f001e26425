using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

public sealed class DriftCalculatorTests
{
    private static FeatureTable Table(params (string Name, object?[] Values)[] columns)
    {
        var table = new FeatureTable();
        var rows = columns.Max(c => c.Values.Length);
        foreach (var (name, values) in columns)
        {
            var column = table.Column(name);
            foreach (var v in values)
            {
                switch (v)
                {
                    case null:
                        column.AddMissing();
                        break;
                    case string s:
                        column.AddCategory(s);
                        break;
                    default:
                        column.AddNumber(Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture));
                        break;
                }
            }
        }

        table.EndRows(rows);
        return table;
    }

    private static object?[] Numbers(IEnumerable<double> values) => values.Cast<object?>().ToArray();

    private static object?[] Repeat(params (string Value, int Count)[] counts) =>
        counts.SelectMany(c => Enumerable.Repeat<object?>(c.Value, c.Count)).ToArray();

    [Fact]
    public void A_small_reference_gets_ks_and_chi_squared_with_p_value_verdicts()
    {
        var reference = ProfileBuilder.Build(
            Table(("x", Numbers(Enumerable.Range(0, 300).Select(i => i / 100.0))), ("color", Repeat(("red", 150), ("blue", 90), ("green", 60)))),
            null, "test");
        var current = Table(
            ("x", Numbers(Enumerable.Range(0, 250).Select(i => 0.3 + (i / 120.0)))),
            ("color", Repeat(("red", 125), ("blue", 75), ("green", 50))));

        var report = DriftCalculator.Compute(reference, current, null);

        var x = report.Features.Single(f => f.Feature == "x");
        Assert.Equal((DriftMethod.KolmogorovSmirnov, FeatureKind.Numeric, 0.05, true), (x.Method, x.Kind, x.Threshold, x.Drifted));
        Assert.Equal(1.4175635028170713e-05, x.Score, 1e-15);
        var color = report.Features.Single(f => f.Feature == "color");
        // Identical proportions: statistic 0, p = 1.
        Assert.Equal((DriftMethod.ChiSquared, FeatureKind.Categorical, 1.0, false), (color.Method, color.Kind, color.Score, color.Drifted));
        Assert.Equal(0.5, report.DriftShare);
    }

    [Fact]
    public void A_new_category_in_the_window_is_drift_and_a_vanished_one_is_an_ordinary_term()
    {
        var reference = ProfileBuilder.Build(Table(("c", Repeat(("a", 10), ("b", 5), ("c", 5)))), null, null);

        var vanished = DriftCalculator.Compute(reference, Table(("c", Repeat(("a", 6), ("b", 4)))), null).Features.Single();
        Assert.Equal(0.16529888822158653, vanished.Score, 12);
        Assert.False(vanished.Drifted);

        var appeared = DriftCalculator.Compute(reference, Table(("c", Repeat(("a", 10), ("b", 5), ("c", 5), ("d", 1)))), null).Features.Single();
        Assert.Equal(0, appeared.Score);
        Assert.True(appeared.Drifted);
    }

    [Fact]
    public void A_large_reference_gets_normed_wasserstein_and_jensen_shannon_with_distance_verdicts()
    {
        var values = Enumerable.Range(0, 2000).Select(i => i * 0.01).ToArray();
        var reference = ProfileBuilder.Build(Table(("x", Numbers(values)), ("c", Repeat(("a", 1000), ("b", 1000)))), null, null);
        var current = Table(("x", Numbers(values.Select(v => v + 2))), ("c", Repeat(("a", 500), ("b", 500))));

        var report = DriftCalculator.Compute(reference, current, null);

        var x = report.Features.Single(f => f.Feature == "x");
        Assert.Equal(DriftMethod.Wasserstein, x.Method);
        // Shifting by 2 moves every value 2; the population std of 0, 0.01, ..., 19.99 is 0.01·√((2000² − 1)/12).
        Assert.Equal(2 / (0.01 * Math.Sqrt(((2000.0 * 2000) - 1) / 12)), x.Score, 9);
        Assert.True(x.Drifted);
        var c = report.Features.Single(f => f.Feature == "c");
        Assert.Equal((DriftMethod.JensenShannon, 0.0, 0.1, false), (c.Method, c.Score, c.Threshold, c.Drifted));
    }

    [Fact]
    public void Numbers_with_few_distinct_values_are_compared_as_categories()
    {
        var reference = ProfileBuilder.Build(Table(("n", Numbers([1, 1, 2, 2, 3, 3, 3, 1]))), null, null);
        var drift = DriftCalculator.Compute(reference, Table(("n", Numbers([1, 2, 2, 3]))), null).Features.Single();
        Assert.Equal((DriftMethod.ChiSquared, FeatureKind.Numeric), (drift.Method, drift.Kind));
    }

    [Fact]
    public void Psi_can_be_forced_and_the_threshold_overridden()
    {
        var reference = ProfileBuilder.Build(Table(("x", Numbers(Enumerable.Range(0, 200).Select(i => i * 0.1)))), null, null);
        var current = Table(("x", Numbers(Enumerable.Range(0, 150).Select(i => 5 + (i * 0.12)))));
        var drift = DriftCalculator.Compute(reference, current, null, new DriftOptions { Method = DriftMethod.Psi, Threshold = 3 }).Features.Single();
        Assert.Equal(2.2833580509198455, drift.Score, 10);
        Assert.Equal((3.0, false), (drift.Threshold, drift.Drifted));
    }

    [Fact]
    public void The_prediction_is_compared_with_the_only_output_column_and_missing_values_are_counted()
    {
        var reference = ProfileBuilder.Build(
            Table(("x", Numbers([1, 2, 3, 4, 5, 6])), ("label", Repeat(("yes", 3), ("no", 3)))), "label", null);
        var inputs = Table(("x", [1.0, null, 3.0, 4.0]));
        var outputs = Table(("prediction", Repeat(("yes", 4))));

        var report = DriftCalculator.Compute(reference, inputs, outputs);

        var x = report.Features.Single(f => f.Feature == "x");
        Assert.Equal((3L, 1L, false), (x.CurrentCount, x.CurrentMissing, x.IsPrediction));
        var label = report.Features.Single(f => f.Feature == "label");
        Assert.True(label.IsPrediction);
        Assert.Equal(4, label.CurrentCount);
    }

    [Fact]
    public void Features_the_window_lacks_are_not_compared()
    {
        var reference = ProfileBuilder.Build(Table(("x", Numbers([1, 2, 3])), ("y", Numbers([1, 2, 3]))), null, null);
        var report = DriftCalculator.Compute(reference, Table(("x", Numbers([1, 2, 3]))), null);
        Assert.Equal(["x"], report.Features.Select(f => f.Feature));
        Assert.Equal(0, report.DriftShare);
    }
}
