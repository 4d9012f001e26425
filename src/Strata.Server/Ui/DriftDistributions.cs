using System.Globalization;
using Strata.Core.Monitoring;

namespace Strata.Server.Ui;

/// <summary>
/// One feature's reference and current distributions on the same bins (numbers) or categories, as shares of each
/// side's values, for drawing them side by side.
/// </summary>
public sealed record FeatureDistribution(string Feature, FeatureKind Kind, string[] Labels, double[] Reference, double[] Current, long CurrentCount);

/// <summary>
/// Rebuilds what a drift run compared: the reference from the version's stored profile (its bounded sorted sample and
/// top categories) and the current window from the prediction log (the same window reader drift uses), then bins both
/// the way <see cref="DriftStatistics"/> does so the bars line up with the score shown beside them.
/// </summary>
public sealed class DriftDistributions(IMonitoringStore store, IPredictionWindowSource window)
{
    /// <summary>Bins of a numeric feature's histogram: fewer than drift's 30 so side-by-side bars stay readable.</summary>
    public const int NumericBins = 20;

    /// <summary>Categories shown per feature; the rest are summed under "other".</summary>
    public const int MaxCategories = 12;

    /// <summary>
    /// The distributions of every feature of <paramref name="run"/>; empty when the version has no profile any more.
    /// </summary>
    public async Task<IReadOnlyList<FeatureDistribution>> ReadAsync(DriftRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        var profile = await store.GetProfileAsync(run.ModelName, run.Version, ct).ConfigureAwait(false);
        if (profile is null)
        {
            return [];
        }

        var inputs = new FeatureTable();
        var outputs = new FeatureTable();
        await window.ReadWindowAsync(run.ModelName, run.Version.ToString(CultureInfo.InvariantCulture), run.WindowStartMs, run.WindowEndMs, inputs, outputs, ct)
            .ConfigureAwait(false);
        var result = new List<FeatureDistribution>();
        foreach (var drift in run.Features)
        {
            var reference = profile.Profile.Feature(drift.Feature);
            var current = drift.IsPrediction
                ? outputs.Find(drift.Feature) ?? (outputs.Columns.Count == 1 ? outputs.Columns[0] : null) ?? inputs.Find(drift.Feature)
                : inputs.Find(drift.Feature);
            if (reference is null || current is null)
            {
                continue;
            }

            result.Add(reference.Kind == FeatureKind.Numeric && drift.Kind == FeatureKind.Numeric
                ? Numeric(reference, current)
                : Categorical(reference, current));
        }

        return result;
    }

    public static FeatureDistribution Numeric(FeatureProfile reference, FeatureColumn current)
    {
        var referenceSorted = reference.Sample?.ToArray() ?? [];
        var currentSorted = current.IsCategorical ? current.AllAsNumbers().Sorted.ToArray() : current.SortedNumbersMemory().ToArray();
        if (referenceSorted.Length == 0 && currentSorted.Length == 0)
        {
            return new FeatureDistribution(reference.Name, FeatureKind.Numeric, [], [], [], 0);
        }

        var min = Math.Min(referenceSorted.Length > 0 ? referenceSorted[0] : double.MaxValue, currentSorted.Length > 0 ? currentSorted[0] : double.MaxValue);
        var max = Math.Max(referenceSorted.Length > 0 ? referenceSorted[^1] : double.MinValue, currentSorted.Length > 0 ? currentSorted[^1] : double.MinValue);
        var edges = DriftStatistics.BinEdges(min, max, NumericBins);
        var labels = new string[NumericBins];
        for (var b = 0; b < NumericBins; b++)
        {
            labels[b] = ((edges[b] + edges[b + 1]) / 2).ToString("G3", CultureInfo.InvariantCulture);
        }

        return new FeatureDistribution(reference.Name, FeatureKind.Numeric, labels,
            DriftStatistics.HistogramShares(referenceSorted, edges), DriftStatistics.HistogramShares(currentSorted, edges), currentSorted.Length);
    }

    public static FeatureDistribution Categorical(FeatureProfile reference, FeatureColumn current)
    {
        var referenceCounts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var c in reference.TopCategories ?? [])
        {
            referenceCounts[c.Value] = c.Count;
        }

        // A numeric reference compared as categories (few distinct values) has no top categories: use its sample.
        if (referenceCounts.Count == 0 && reference.Sample is { Count: > 0 } sample)
        {
            foreach (var v in sample)
            {
                var key = FeatureColumn.FormatNumber(v);
                referenceCounts[key] = referenceCounts.GetValueOrDefault(key) + 1;
            }
        }

        var referenceTotal = referenceCounts.Values.Sum() + reference.OtherCount;
        var currentCounts = current.AllAsCategories();
        double currentTotal = currentCounts.Values.Sum();
        var labels = referenceCounts.OrderByDescending(p => p.Value).Select(p => p.Key)
            .Concat(currentCounts.OrderByDescending(p => p.Value).Select(p => p.Key))
            .Distinct(StringComparer.Ordinal)
            .Take(MaxCategories)
            .ToList();
        var refShares = labels.Select(l => Share(referenceCounts.GetValueOrDefault(l), referenceTotal)).ToList();
        var curShares = labels.Select(l => Share(currentCounts.GetValueOrDefault(l), currentTotal)).ToList();
        var refOther = 1 - refShares.Sum();
        var curOther = 1 - curShares.Sum();
        if (refOther > 1e-9 || curOther > 1e-9)
        {
            labels.Add("(other)");
            refShares.Add(Math.Max(0, referenceTotal == 0 ? 0 : refOther));
            curShares.Add(Math.Max(0, currentTotal == 0 ? 0 : curOther));
        }

        return new FeatureDistribution(reference.Name, FeatureKind.Categorical, [.. labels], [.. refShares], [.. curShares], (long)currentTotal);
    }

    private static double Share(double count, double total) => total <= 0 ? 0 : count / total;
}
