using Parquet.Serialization;
using Strata.Core.Monitoring;
using Strata.Storage.Monitoring;

namespace Strata.Storage.Tests.Monitoring;

public sealed class ParquetTableReaderTests
{
    public sealed class Row
    {
        public double X { get; set; }

        public int? N { get; set; }

        public string? City { get; set; }

        public bool Flag { get; set; }
    }

    [Fact]
    public async Task Flat_numeric_string_and_boolean_parquet_columns_become_numbers_categories_and_missing_values()
    {
        Row[] rows =
        [
            new() { X = 1.5, N = 3, City = "Paris", Flag = true },
            new() { X = 2.5, N = null, City = null, Flag = false },
            new() { X = -1, N = 7, City = "Lyon", Flag = true },
        ];
        using var stream = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, stream);

        var table = new FeatureTable();
        await ParquetTableReader.ReadAsync(stream, table, default);

        Assert.Equal(3, table.RowCount);
        Assert.Equal([1.5, 2.5, -1], table.Find("X")!.Numbers.ToArray());
        Assert.Equal([3.0, 7.0], table.Find("N")!.Numbers.ToArray());
        Assert.Equal(1, table.Find("N")!.Missing);
        var city = table.Find("City")!;
        Assert.Equal((1L, 1L, 1L), (city.Categories["Paris"], city.Categories["Lyon"], city.Missing));
        Assert.Equal(2, table.Find("Flag")!.Categories["true"]);
        var profile = ProfileBuilder.Build(table, null, "parquet");
        Assert.Equal(FeatureKind.Numeric, profile.Feature("N")!.Kind);
        Assert.Equal(FeatureKind.Categorical, profile.Feature("City")!.Kind);
    }

    public sealed class Labelled
    {
        public string Label { get; set; } = "";

        public string? Region { get; set; }

        public double? Score { get; set; }
    }

    [Fact]
    public async Task Repeated_strings_in_several_row_groups_are_all_read()
    {
        // Enough repeats for dictionary-encoded pages, nulls between values, two row groups.
        var regions = new[] { "north", "south", "east", null, "wést" };
        var rows = Enumerable.Range(0, 5000).Select(i => new Labelled { Label = i % 2 == 0 ? "yes" : "no", Region = regions[i % 5], Score = i % 7 == 0 ? null : i }).ToArray();
        using var stream = new MemoryStream();
        await ParquetSerializer.SerializeAsync(rows, stream, new Parquet.ParquetOptions { RowGroupSize = 3000 });

        var table = new FeatureTable();
        await ParquetTableReader.ReadAsync(stream, table, default);

        Assert.Equal(5000, table.RowCount);
        Assert.Equal((2500L, 2500L), (table.Find("Label")!.Categories["yes"], table.Find("Label")!.Categories["no"]));
        var region = table.Find("Region")!;
        Assert.Equal((1000L, 1000L, 1000L, 1000L), (region.Categories["north"], region.Categories["south"], region.Categories["wést"], region.Missing));
        Assert.Equal(5000 - 715, table.Find("Score")!.NumberCount);
    }
}
