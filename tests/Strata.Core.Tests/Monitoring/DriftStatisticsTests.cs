using Strata.Core.Monitoring;

namespace Strata.Core.Tests.Monitoring;

/// <summary>
/// The drift statistics against values computed independently with scipy 1.x (<c>ks_2samp(method="exact")</c>,
/// <c>kstwobign.sf</c>, <c>chisquare</c>, <c>wasserstein_distance</c>, <c>spatial.distance.jensenshannon</c>) and numpy;
/// the numbers are written in, not recomputed.
/// </summary>
public sealed class DriftStatisticsTests
{
    private static double[] Sorted(IEnumerable<double> values) => values.Order().ToArray();

    [Fact]
    public void Ks_on_a_small_hand_case_matches_scipy_exact()
    {
        var (d, p) = DriftStatistics.KolmogorovSmirnov(Sorted([1, 2, 3, 4, 5]), Sorted([3, 4, 5, 6, 7, 8]));
        Assert.Equal(0.5, d, 12);
        Assert.Equal(0.35714285714285715, p, 12);
    }

    [Fact]
    public void Ks_with_ties_across_the_samples_moves_both_ecdfs_at_once()
    {
        // By hand: at 2 the ECDFs are 4/5 and 2/6, D = 7/15.
        var (d, p) = DriftStatistics.KolmogorovSmirnov(Sorted([1, 1, 2, 2, 3]), Sorted([2, 2, 3, 3, 4, 4]));
        Assert.Equal(7.0 / 15, d, 12);
        Assert.Equal(0.474025974025974, p, 12);
    }

    [Fact]
    public void Ks_with_equal_sample_sizes_matches_scipy_exact()
    {
        var a = Sorted(Enumerable.Range(0, 10).Select(i => i * 0.37 % 10));
        var b = Sorted(Enumerable.Range(0, 10).Select(i => ((i * 0.53) + 2) % 10));
        var (d, p) = DriftStatistics.KolmogorovSmirnov(a, b);
        Assert.Equal(0.7, d, 12);
        Assert.Equal(0.012340600575894691, p, 12);
    }

    [Fact]
    public void Ks_on_hundreds_of_values_matches_scipy_exact_including_tiny_p_values()
    {
        var a = Sorted(Enumerable.Range(0, 300).Select(i => i / 100.0));
        var (d, p) = DriftStatistics.KolmogorovSmirnov(a, Sorted(Enumerable.Range(0, 250).Select(i => 0.3 + (i / 120.0))));
        Assert.Equal(0.20666666666666667, d, 12);
        Assert.Equal(1.4175635028170713e-05, p, 1e-15);

        var (d2, p2) = DriftStatistics.KolmogorovSmirnov(a, Sorted(Enumerable.Range(0, 250).Select(i => 1.5 + (i / 300.0))));
        Assert.Equal(0.5, d2, 12);
        // The absorbed-mass walk keeps the relative error small where 1 − P(inside) would round to 0.
        Assert.InRange(p2 / 1.6196804185954297e-31, 0.999999, 1.000001);
    }

    [Theory]
    [InlineData(0.3, 0.9999906941986655)]
    [InlineData(0.5, 0.9639452436648751)]
    [InlineData(0.8, 0.5441424115741981)]
    [InlineData(1.0, 0.26999967167735456)]
    [InlineData(1.2, 0.11224966667072497)]
    [InlineData(1.36, 0.049485876755377876)]
    [InlineData(2.0, 0.0006709252557796953)]
    public void Kolmogorov_survival_matches_scipy_kstwobign(double lambda, double expected) =>
        Assert.Equal(expected, DriftStatistics.KolmogorovSurvival(lambda), 12);

    [Fact]
    public void Ks_of_large_samples_uses_the_kolmogorov_limit_and_of_identical_samples_is_one()
    {
        // 5,000 × 5,000 is past the exact walk's limit: Q((√2500 + 0.12 + 0.11/50)·D) with D = 0.5.
        var a = Sorted(Enumerable.Range(0, 5000).Select(i => (double)i));
        var b = Sorted(Enumerable.Range(0, 5000).Select(i => i + 2500.0));
        var (d, p) = DriftStatistics.KolmogorovSmirnov(a, b);
        Assert.Equal(0.5, d, 12);
        Assert.Equal(DriftStatistics.KolmogorovSurvival((50 + 0.12 + (0.11 / 50)) * 0.5), p, 15);
        Assert.True(p < 1e-100);

        Assert.Equal((0.0, 1.0), DriftStatistics.KolmogorovSmirnov(a, a));
        Assert.Equal((0.0, 1.0), DriftStatistics.KolmogorovSmirnov(a, []));
    }

    [Fact]
    public void Chi_squared_matches_scipy_chisquare()
    {
        var (stat, p) = DriftStatistics.ChiSquared([50, 30, 20], [40, 40, 20]);
        Assert.Equal(5.333333333333334, stat, 12);
        Assert.Equal(0.0694834512228015, p, 12);

        // Different totals: the reference proportions are scaled to the current total.
        (stat, p) = DriftStatistics.ChiSquared([500, 300, 200], [30, 50, 20]);
        Assert.Equal(21.333333333333336, stat, 12);
        Assert.Equal(2.3309101142937e-05, p, 1e-17);
    }

    [Fact]
    public void Chi_squared_with_empty_categories()
    {
        // A category the current window never saw is an ordinary term.
        var (stat, p) = DriftStatistics.ChiSquared([10, 5, 5], [6, 4, 0]);
        Assert.Equal(3.6, stat, 12);
        Assert.Equal(0.16529888822158653, p, 12);

        // One the reference never saw cannot be expected: infinite statistic, p = 0 (scipy gives inf and 0 too).
        (stat, p) = DriftStatistics.ChiSquared([10, 0, 5], [3, 2, 4]);
        Assert.True(double.IsPositiveInfinity(stat));
        Assert.Equal(0, p);

        // A single category has no degrees of freedom: no evidence of drift.
        Assert.Equal(1, DriftStatistics.ChiSquared([10], [3]).PValue);
    }

    [Fact]
    public void Wasserstein_matches_scipy()
    {
        Assert.Equal(5.0, DriftStatistics.Wasserstein(Sorted([0, 1, 3]), Sorted([5, 6, 8])), 12);
        Assert.Equal(0.6666666666666666, DriftStatistics.Wasserstein(Sorted([1, 1, 2]), Sorted([1, 2, 2, 3])), 12);
        Assert.Equal(0.6875, DriftStatistics.Wasserstein(Sorted([0.5, 1.5, 2.25, 4]), Sorted([1, 1.25, 3])), 12);
    }

    [Fact]
    public void Jensen_shannon_and_psi_match_scipy_and_numpy()
    {
        Assert.Equal(0.1803596560271257, DriftStatistics.JensenShannon([0.1, 0.4, 0.5], [0.3, 0.3, 0.4]), 12);
        // Counts are normalised first, as scipy does.
        Assert.Equal(0.1803596560271257, DriftStatistics.JensenShannon([1, 4, 5], [3, 3, 4]), 12);
        Assert.Equal(0.270805020110221, DriftStatistics.PopulationStabilityIndex([0.1, 0.4, 0.5], [0.3, 0.3, 0.4]), 12);
    }

    [Fact]
    public void Binned_numbers_follow_numpy_histogram_and_evidently_zero_filling()
    {
        var reference = Enumerable.Range(0, 200).Select(i => i * 0.1).ToArray();
        var current = Enumerable.Range(0, 150).Select(i => 5 + (i * 0.12)).ToArray();
        var edges = DriftStatistics.BinEdges(reference.Min(), current.Max(), 30);
        var r = DriftStatistics.HistogramShares(reference, edges);
        var c = DriftStatistics.HistogramShares(current, edges);
        Assert.Equal(1.0, r.Sum(), 12);
        Assert.Equal(1.0, c.Sum(), 12);
        DriftStatistics.FillZeroes(r);
        DriftStatistics.FillZeroes(c);
        Assert.Equal(0.3673994339720164, DriftStatistics.JensenShannon(r, c), 12);
        Assert.Equal(2.2833580509198455, DriftStatistics.PopulationStabilityIndex(r, c), 10);
    }
}
