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
    public async Task Flat_numeric_and_boolean_parquet_columns_become_numbers_categories_and_missing_values()
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
        // String columns are not read yet (see ParquetTableReader).
        Assert.Null(table.Find("City"));
        Assert.Equal(2, table.Find("Flag")!.Categories["true"]);
        var profile = ProfileBuilder.Build(table, null, "parquet");
        Assert.Equal(FeatureKind.Numeric, profile.Feature("N")!.Kind);
    }
}
