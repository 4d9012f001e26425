namespace Strata.Core.Monitoring;

/// <summary>
/// Compares a window of current values with a reference profile, feature by feature, as Evidently's data drift preset
/// does by default. With a reference of at most 1,000 rows: Kolmogorov–Smirnov for numbers and chi-squared for
/// categories (and for numbers with at most 5 distinct values), drift when p &lt; 0.05. Above: the Wasserstein distance
/// normed by the reference standard deviation for numbers, Jensen–Shannon for categories (and for numbers with at most
/// 5 distinct values), drift when the distance is ≥ 0.1. PSI (and any single method) can be forced through
/// <see cref="DriftOptions.Method"/>.
/// </summary>
public static class DriftCalculator
{
    /// <summary>Numbers with at most this many distinct values (reference and current together) are compared as categories.</summary>
    public const int FewValues = 5;

    /// <summary>
    /// The drift of every reference feature found in <paramref name="inputs"/>, and of the prediction: the profile's
    /// prediction column against the output column of the same name, or the only output column.
    /// </summary>
    public static DriftReport Compute(ReferenceProfile reference, FeatureTable inputs, FeatureTable? outputs, DriftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(inputs);
        options ??= new DriftOptions();
        if (!DriftMethod.All.Contains(options.Method))
        {
            throw new ArgumentException($"Unknown drift method '{options.Method}'.", nameof(options));
        }

        var work = new List<(FeatureProfile Profile, FeatureColumn Column, bool IsPrediction)>();
        foreach (var feature in reference.Features)
        {
            var isPrediction = string.Equals(feature.Name, reference.PredictionColumn, StringComparison.Ordinal);
            var column = isPrediction ? PredictionColumn(feature.Name, outputs) ?? inputs.Find(feature.Name) : inputs.Find(feature.Name);
            if (column is not null && feature.Count > 0 && column.NumberCount + column.CategoryTotal > 0)
            {
                work.Add((feature, column, isPrediction));
            }
        }

        // Features are independent; the sorts dominate, so they run side by side.
        var results = new FeatureDrift?[work.Count];
        Parallel.For(0, work.Count, i => results[i] = Compare(work[i].Profile, work[i].Column, work[i].IsPrediction, reference.RowCount, options));
        return new DriftReport(reference.RowCount, inputs.RowCount == 0 ? outputs?.RowCount ?? 0 : inputs.RowCount, results.OfType<FeatureDrift>().ToList());
    }

    private static FeatureColumn? PredictionColumn(string name, FeatureTable? outputs) =>
        outputs is null ? null : outputs.Find(name) ?? (outputs.Columns.Count == 1 ? outputs.Columns[0] : null);

    /// <summary>One feature's verdict; null when the window holds no comparable value of it.</summary>
    public static FeatureDrift? Compare(FeatureProfile reference, FeatureColumn current, bool isPrediction, long referenceRows, DriftOptions options)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(options);
        var small = referenceRows <= options.SmallReferenceRows;
        if (reference.Kind == FeatureKind.Numeric)
        {
            var (memory, unreadable) = current.IsCategorical ? current.AllAsNumbers() : (current.SortedNumbersMemory(), 0L);
            var sorted = memory.Span;
            var referenceSample = reference.Sample is { } s ? s.ToArray() : [];
            if (sorted.Length == 0 || referenceSample.Length == 0)
            {
                return null;
            }

            var fewValues = reference.Distinct <= FewValues && CountDistinctUpTo(sorted, FewValues + 1) <= FewValues
                && UnionDistinct(referenceSample, sorted) <= FewValues;
            var method = options.Method == DriftMethod.Auto
                ? fewValues ? (small ? DriftMethod.ChiSquared : DriftMethod.JensenShannon) : (small ? DriftMethod.KolmogorovSmirnov : DriftMethod.Wasserstein)
                : options.Method;
            var score = method switch
            {
                DriftMethod.KolmogorovSmirnov => DriftStatistics.KolmogorovSmirnov(referenceSample, sorted).PValue,
                DriftMethod.Wasserstein => DriftStatistics.Wasserstein(referenceSample, sorted) / Math.Max(reference.Std ?? 0, 0.001),
                _ => BinnedNumeric(method, referenceSample, reference.Distinct, memory, options.Bins),
            };
            return Verdict(reference.Name, isPrediction, FeatureKind.Numeric, method, score, options, sorted.Length, current.Missing + unreadable);
        }

        var (refCounts, curCounts) = AlignCategories(reference, current.AllAsCategories());
        var catMethod = options.Method switch
        {
            DriftMethod.Auto => small ? DriftMethod.ChiSquared : DriftMethod.JensenShannon,
            DriftMethod.KolmogorovSmirnov or DriftMethod.Wasserstein => throw new ArgumentException(
                $"Method '{options.Method}' needs numbers; feature '{reference.Name}' is categorical.", nameof(options)),
            var m => m,
        };
        if (curCounts.Sum() == 0)
        {
            return null;
        }

        var catScore = CategoricalScore(catMethod, refCounts, curCounts);
        return Verdict(reference.Name, isPrediction, FeatureKind.Categorical, catMethod, catScore, options, (long)curCounts.Sum(), current.Missing);
    }

    private static FeatureDrift Verdict(string name, bool isPrediction, FeatureKind kind, string method, double score, DriftOptions options, long count, long missing)
    {
        var threshold = options.Threshold ?? DriftMethod.DefaultThreshold(method);
        var drifted = DriftMethod.IsPValue(method) ? score < threshold : score >= threshold;
        return new FeatureDrift(name, isPrediction, kind, method, score, threshold, drifted, count, missing);
    }

    /// <summary>Chi-squared p-value, Jensen–Shannon distance or PSI of two aligned count vectors.</summary>
    public static double CategoricalScore(string method, double[] referenceCounts, double[] currentCounts)
    {
        switch (method)
        {
            case DriftMethod.ChiSquared:
                return DriftStatistics.ChiSquared(referenceCounts, currentCounts).PValue;
            case DriftMethod.JensenShannon:
            case DriftMethod.Psi:
                var r = Shares(referenceCounts);
                var c = Shares(currentCounts);
                DriftStatistics.FillZeroes(r);
                DriftStatistics.FillZeroes(c);
                return method == DriftMethod.Psi ? DriftStatistics.PopulationStabilityIndex(r, c) : DriftStatistics.JensenShannon(r, c);
            default:
                throw new ArgumentException($"Method '{method}' does not apply to categories.", nameof(method));
        }
    }

    /// <summary>
    /// Jensen–Shannon, PSI or chi-squared on numbers: 30 equal-width bins over both samples' range when the reference
    /// has more distinct values than bins (Evidently's rule), else the values themselves as categories.
    /// </summary>
    private static double BinnedNumeric(string method, double[] referenceSorted, long referenceDistinct, ReadOnlyMemory<double> current, int bins)
    {
        var currentSorted = current.Span;
        if (method != DriftMethod.ChiSquared && referenceDistinct > bins)
        {
            var edges = DriftStatistics.BinEdges(
                Math.Min(referenceSorted[0], currentSorted[0]), Math.Max(referenceSorted[^1], currentSorted[^1]), bins);
            var r = DriftStatistics.HistogramShares(referenceSorted, edges);
            var c = DriftStatistics.HistogramShares(currentSorted, edges);
            DriftStatistics.FillZeroes(r);
            DriftStatistics.FillZeroes(c);
            return method == DriftMethod.Psi ? DriftStatistics.PopulationStabilityIndex(r, c) : DriftStatistics.JensenShannon(r, c);
        }

        var (refCounts, curCounts) = AlignValues(referenceSorted, currentSorted);
        return CategoricalScore(method, refCounts, curCounts);
    }

    /// <summary>Counts per distinct value over the union of both sorted samples, in ascending value order.</summary>
    internal static (double[] Reference, double[] Current) AlignValues(ReadOnlySpan<double> referenceSorted, ReadOnlySpan<double> currentSorted)
    {
        var distinct = new SortedSet<double>();
        foreach (var v in referenceSorted)
        {
            distinct.Add(v);
        }

        foreach (var v in currentSorted)
        {
            distinct.Add(v);
        }

        var values = distinct.ToArray();
        var r = new double[values.Length];
        var c = new double[values.Length];
        foreach (var v in referenceSorted)
        {
            r[Array.BinarySearch(values, v)]++;
        }

        foreach (var v in currentSorted)
        {
            c[Array.BinarySearch(values, v)]++;
        }

        return (r, c);
    }

    /// <summary>
    /// Counts over the union of the reference's kept categories and the current ones, ordered by category. Current
    /// values the reference did not keep go to its "other" bucket when it has one, else they are new categories.
    /// </summary>
    internal static (double[] Reference, double[] Current) AlignCategories(FeatureProfile reference, Dictionary<string, long> current)
    {
        var kept = (reference.TopCategories ?? []).ToDictionary(c => c.Value, c => (double)c.Count, StringComparer.Ordinal);
        var hasOther = reference.OtherCount > 0;
        var currentCounts = new Dictionary<string, double>(StringComparer.Ordinal);
        double other = 0;
        foreach (var (value, count) in current)
        {
            if (kept.ContainsKey(value) || !hasOther)
            {
                currentCounts[value] = count;
            }
            else
            {
                other += count;
            }
        }

        var keys = kept.Keys.Union(currentCounts.Keys).Order(StringComparer.Ordinal).ToList();
        var size = keys.Count + (hasOther ? 1 : 0);
        var r = new double[size];
        var c = new double[size];
        for (var i = 0; i < keys.Count; i++)
        {
            r[i] = kept.GetValueOrDefault(keys[i]);
            c[i] = currentCounts.GetValueOrDefault(keys[i]);
        }

        if (hasOther)
        {
            r[^1] = reference.OtherCount;
            c[^1] = other;
        }

        return (r, c);
    }

    private static double[] Shares(double[] counts)
    {
        var total = counts.Sum();
        return counts.Select(x => total > 0 ? x / total : 0).ToArray();
    }

    private static int CountDistinctUpTo(ReadOnlySpan<double> sorted, int limit)
    {
        var distinct = sorted.Length == 0 ? 0 : 1;
        for (var i = 1; i < sorted.Length && distinct < limit; i++)
        {
            if (sorted[i] != sorted[i - 1])
            {
                distinct++;
            }
        }

        return distinct;
    }

    private static int UnionDistinct(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var seen = new HashSet<double>();
        foreach (var v in a)
        {
            if (seen.Add(v) && seen.Count > FewValues)
            {
                return seen.Count;
            }
        }

        foreach (var v in b)
        {
            if (seen.Add(v) && seen.Count > FewValues)
            {
                return seen.Count;
            }
        }

        return seen.Count;
    }
}
