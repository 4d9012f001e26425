using System.Text;
using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

/// <summary>Categories counted from UTF-8 (matched by their bytes first) count exactly as strings do, however they are mixed.</summary>
public sealed class FeatureColumnCategoryTests
{
    [Fact]
    public void Utf8_and_string_categories_count_alike_beyond_the_recent_ones()
    {
        // 20 distinct values (more than the recently matched ones), one longer than those, non-ASCII ones, and the same
        // values given as strings in between.
        var values = Enumerable.Range(0, 5_000).Select(i => (i * 7919 % 20) switch
        {
            0 => new string('x', 100),
            1 => "é",
            2 => "漢字",
            var k => $"v{k}",
        }).ToList();
        var column = new FeatureColumn("c");
        var expected = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
        {
            if (i % 3 == 0)
            {
                column.AddCategory(values[i]);
            }
            else
            {
                column.AddCategory(Encoding.UTF8.GetBytes(values[i]));
            }

            expected[values[i]] = expected.GetValueOrDefault(values[i]) + 1;
            if (i == 2_500)
            {
                // Reading the counts half way through must not lose or double what is pending.
                Assert.Equal(2_501, column.Categories.Values.Sum());
            }
        }

        Assert.Equal(5_000, column.CategoryTotal);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal), column.Categories.OrderBy(p => p.Key, StringComparer.Ordinal));

        var merged = new FeatureColumn("c");
        merged.AddCategory("é"u8);
        merged.AddAll(column);
        Assert.Equal(expected["é"] + 1, merged.Categories["é"]);
        Assert.Equal(5_001, merged.AllAsCategories().Values.Sum());
    }

    [Fact]
    public void Reserved_capacity_keeps_every_number()
    {
        var column = new FeatureColumn("n");
        column.AddNumber(3);
        column.EnsureCapacity(1_000);
        column.EnsureCapacity(10);
        for (var i = 0; i < 999; i++)
        {
            column.AddNumber(i);
        }

        Assert.Equal(1_000, column.NumberCount);
        Assert.Equal(3 + (999 * 998 / 2), column.Numbers.ToArray().Sum());
    }
}
