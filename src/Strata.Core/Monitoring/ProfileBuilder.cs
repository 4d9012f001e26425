namespace Strata.Core.Monitoring;

/// <summary>Turns the columns of a data set into a <see cref="ReferenceProfile"/> (pure computation).</summary>
public static class ProfileBuilder
{
    /// <summary>Values kept per numeric feature: a reference up to this size is kept whole, so exact tests see all of it.</summary>
    public const int SampleSize = 2048;

    /// <summary>Categories kept per categorical feature.</summary>
    public const int TopCategoryCount = 100;

    public static ReferenceProfile Build(FeatureTable table, string? predictionColumn, string? source)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (predictionColumn is not null && table.Find(predictionColumn) is null)
        {
            throw new ArgumentException($"The data has no column '{predictionColumn}'.", nameof(predictionColumn));
        }

        return new ReferenceProfile
        {
            RowCount = table.RowCount,
            PredictionColumn = predictionColumn,
            Source = source,
            Features = table.Columns.Select(Profile).ToList(),
        };
    }

    public static FeatureProfile Profile(FeatureColumn column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return column.IsCategorical ? Categorical(column) : Numeric(column);
    }

    private static FeatureProfile Numeric(FeatureColumn column)
    {
        var sorted = column.SortedNumbers();
        if (sorted.Length == 0)
        {
            return new FeatureProfile { Name = column.Name, Kind = FeatureKind.Numeric, Missing = column.Missing };
        }

        // Welford's update keeps the variance accurate for values far from zero.
        double mean = 0, m2 = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            var delta = sorted[i] - mean;
            mean += delta / (i + 1);
            m2 += delta * (sorted[i] - mean);
        }

        var sample = Sample(sorted, SampleSize);
        var quantiles = new double[101];
        for (var q = 0; q < quantiles.Length; q++)
        {
            quantiles[q] = Quantile(sorted, q / 100.0);
        }

        return new FeatureProfile
        {
            Name = column.Name,
            Kind = FeatureKind.Numeric,
            Count = sorted.Length,
            Missing = column.Missing,
            Distinct = CountDistinct(sorted),
            Min = sorted[0],
            Max = sorted[^1],
            Mean = mean,
            Std = Math.Sqrt(m2 / sorted.Length),
            Quantiles = quantiles,
            Sample = sample,
        };
    }

    private static FeatureProfile Categorical(FeatureColumn column)
    {
        var all = column.AllAsCategories();
        var ordered = all.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var top = ordered.Take(TopCategoryCount).Select(kv => new CategoryCount(kv.Key, kv.Value)).ToList();
        return new FeatureProfile
        {
            Name = column.Name,
            Kind = FeatureKind.Categorical,
            Count = column.CategoryTotal + column.NumberCount,
            Missing = column.Missing,
            Distinct = all.Count,
            TopCategories = top,
            OtherCount = ordered.Skip(TopCategoryCount).Sum(kv => kv.Value),
        };
    }

    /// <summary>
    /// The whole sorted input when it fits, else <paramref name="size"/> order statistics at evenly spaced ranks (the
    /// first and last included), which keep the empirical distribution within 1/size everywhere.
    /// </summary>
    public static double[] Sample(ReadOnlySpan<double> sorted, int size)
    {
        if (sorted.Length <= size)
        {
            return sorted.ToArray();
        }

        var sample = new double[size];
        for (var k = 0; k < size; k++)
        {
            sample[k] = sorted[(int)Math.Round(k * (sorted.Length - 1) / (double)(size - 1))];
        }

        return sample;
    }

    /// <summary>numpy's default (linear) quantile of sorted values.</summary>
    public static double Quantile(ReadOnlySpan<double> sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    public static int CountDistinct(ReadOnlySpan<double> sorted)
    {
        var distinct = sorted.Length == 0 ? 0 : 1;
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i] != sorted[i - 1])
            {
                distinct++;
            }
        }

        return distinct;
    }
}
