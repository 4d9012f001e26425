using System.Text;
using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

public sealed class ProfileBuilderTests
{
    [Fact]
    public void A_csv_is_profiled_per_feature_with_numpy_moments_and_quantiles()
    {
        var table = new FeatureTable();
        CsvTableReader.Read(new StringReader("x,city,flag\n3,Paris,true\n1,\"Lyon, FR\",false\n4,Paris,\n1,NA,true\n5,Paris,true\n9,Lyon,\n2,,true\n6,Nice,true\n"), table);

        var profile = ProfileBuilder.Build(table, "flag", "test.csv");

        Assert.Equal((8L, "flag", "test.csv"), (profile.RowCount, profile.PredictionColumn, profile.Source));
        var x = profile.Feature("x")!;
        Assert.Equal(FeatureKind.Numeric, x.Kind);
        Assert.Equal((8L, 0L, 7L, 1.0, 9.0), (x.Count, x.Missing, x.Distinct, x.Min!.Value, x.Max!.Value));
        // numpy: mean 3.875, std (ddof 0) 2.5708704751503917, quantile(0.37) 2.59.
        Assert.Equal(3.875, x.Mean!.Value, 12);
        Assert.Equal(2.5708704751503917, x.Std!.Value, 12);
        Assert.Equal(101, x.Quantiles!.Count);
        Assert.Equal(2.59, x.Quantiles[37], 12);
        Assert.Equal([1, 1, 2, 3, 4, 5, 6, 9], x.Sample!);

        var city = profile.Feature("city")!;
        Assert.Equal(FeatureKind.Categorical, city.Kind);
        Assert.Equal((6L, 2L, 4L), (city.Count, city.Missing, city.Distinct));
        Assert.Equal(new CategoryCount("Paris", 3), city.TopCategories![0]);
        Assert.Contains(new CategoryCount("Lyon, FR", 1), city.TopCategories);
        Assert.Equal((6L, 2L), (profile.Feature("flag")!.Count, profile.Feature("flag")!.Missing));
    }

    [Fact]
    public void A_large_column_keeps_a_bounded_sample_of_evenly_spaced_order_statistics()
    {
        var table = new FeatureTable();
        var column = table.Column("x");
        for (var i = 10_000; i > 0; i--)
        {
            column.AddNumber(i);
        }

        table.EndRows(10_000);
        var x = ProfileBuilder.Build(table, null, null).Features.Single();
        Assert.Equal(ProfileBuilder.SampleSize, x.Sample!.Count);
        Assert.Equal((1.0, 10_000.0), (x.Sample[0], x.Sample[^1]));
        Assert.True(x.Sample.Zip(x.Sample.Skip(1)).All(p => p.First <= p.Second));
        Assert.Equal(5000.5, x.Quantiles![50], 9);
    }

    [Fact]
    public void Categories_beyond_the_top_k_are_counted_as_other()
    {
        var table = new FeatureTable();
        var c = table.Column("c");
        for (var i = 0; i < 150; i++)
        {
            for (var k = 0; k <= i % 3; k++)
            {
                c.AddCategory($"v{i:D3}");
            }
        }

        table.EndRows(c.Total);
        var profile = ProfileBuilder.Build(table, null, null).Features.Single();
        Assert.Equal(ProfileBuilder.TopCategoryCount, profile.TopCategories!.Count);
        Assert.Equal(150, profile.Distinct);
        Assert.Equal(profile.Count, profile.TopCategories.Sum(t => t.Count) + profile.OtherCount);
        Assert.Equal(3, profile.TopCategories[0].Count);
    }

    [Fact]
    public void A_prediction_column_must_exist()
    {
        var table = new FeatureTable();
        table.Column("x").AddNumber(1);
        table.EndRows(1);
        Assert.Throws<ArgumentException>(() => ProfileBuilder.Build(table, "label", null));
    }

    [Fact]
    public void Json_tables_are_read_in_records_split_columns_and_lines_forms()
    {
        foreach (var json in (string[])[
            """[{"a": 1, "b": "x"}, {"a": 2.5, "b": null}]""",
            """{"columns": ["a", "b"], "data": [[1, "x"], [2.5, null]]}""",
            """{"a": [1, 2.5], "b": ["x", null]}""",
            "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2.5}\n"])
        {
            var table = new FeatureTable();
            JsonTableReader.Read(Encoding.UTF8.GetBytes(json), table);
            Assert.Equal(2, table.RowCount);
            Assert.Equal([1, 2.5], table.Find("a")!.Numbers.ToArray());
            Assert.Equal((1L, 1L), (table.Find("b")!.CategoryTotal, table.Find("b")!.Missing));
        }
    }
}
