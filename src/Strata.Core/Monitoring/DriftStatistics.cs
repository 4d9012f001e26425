using MathNet.Numerics;

namespace Strata.Core.Monitoring;

/// <summary>
/// The two-sample statistics behind drift verdicts, in the forms Evidently uses by default. Numeric inputs are sorted
/// ascending; categorical inputs are counts over the same ordered list of categories. The chi-squared tail comes from
/// MathNet's regularized incomplete gamma function; the two-sample Kolmogorov–Smirnov distribution, the Wasserstein
/// distance and the binned divergences have no maintained .NET implementation and are written here.
/// </summary>
public static class DriftStatistics
{
    /// <summary>Above this many lattice cells the exact KS p-value gives way to the Kolmogorov limit.</summary>
    public const long ExactKsMaxCells = 20_000_000;

    /// <summary>Evidently's bin count for numeric histograms (Jensen–Shannon, PSI).</summary>
    public const int DefaultBins = 30;

    /// <summary>
    /// Two-sample Kolmogorov–Smirnov: D = sup |F_a − F_b| over the pooled values (ties move both ECDFs at once), and the
    /// two-sided p-value P(D' ≥ D) under the null. For small samples the p-value is exact (the share of the
    /// C(m+n, m) interleavings whose path leaves the band, as scipy's <c>ks_2samp(method="exact")</c> computes it);
    /// for large ones it is the Kolmogorov limit with Stephens' finite-sample correction.
    /// </summary>
    public static (double Statistic, double PValue) KolmogorovSmirnov(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        int m = sortedA.Length, n = sortedB.Length;
        if (m == 0 || n == 0)
        {
            return (0, 1);
        }

        // D as an integer numerator over m·n, so the exact walk compares integers, not rounded fractions.
        long best = 0;
        int i = 0, j = 0;
        while (i < m && j < n)
        {
            var v = Math.Min(sortedA[i], sortedB[j]);
            while (i < m && sortedA[i] == v)
            {
                i++;
            }

            while (j < n && sortedB[j] == v)
            {
                j++;
            }

            best = Math.Max(best, Math.Abs(((long)i * n) - ((long)j * m)));
        }

        var d = best / ((double)m * n);
        if (best == 0)
        {
            return (0, 1);
        }

        var p = (long)m * n <= ExactKsMaxCells ? ExactKsPValue(m, n, best) : KolmogorovPValue(d, (double)m * n / (m + n));
        return (d, Math.Clamp(p, 0, 1));
    }

    /// <summary>
    /// P(D ≥ h/(m·n)) for untied samples of sizes m and n: a random interleaving is a lattice path from (0,0) to (m,n)
    /// that steps right with probability (m−i)/(m+n−i−j); the mass that reaches a cell with |i·n − j·m| ≥ h is absorbed
    /// there and summed. Summing the absorbed mass (rather than 1 − the mass that stays inside) keeps tiny p-values exact.
    /// </summary>
    internal static double ExactKsPValue(int m, int n, long h)
    {
        var row = new double[n + 1];
        var outside = 0.0;
        row[0] = 1;
        for (var i = 0; i <= m; i++)
        {
            for (var j = 0; j <= n; j++)
            {
                // row[j] holds what arrived from below, (i−1, j); row[j−1] is already (i, j−1)'s final mass, of which
                // the share (n−j+1)/(m+n−i−j+1) steps right into (i, j).
                var mass = row[j];
                if (j > 0)
                {
                    mass += row[j - 1] * (n - j + 1) / (m + n - i - j + 1);
                }

                if (Math.Abs(((long)i * n) - ((long)j * m)) >= h)
                {
                    outside += mass;
                    mass = 0;
                }

                row[j] = mass;
            }

            if (i == m)
            {
                break;
            }

            // Step up: mass at (i, j) moves to (i+1, j) with probability (m−i)/(m+n−i−j).
            for (var j = 0; j <= n; j++)
            {
                var total = m + n - i - j;
                row[j] = total == 0 ? 0 : row[j] * (m - i) / total;
            }
        }

        return outside;
    }

    /// <summary>
    /// The Kolmogorov distribution's upper tail at λ = (√nₑ + 0.12 + 0.11/√nₑ)·D (Stephens' correction), with nₑ = m·n/(m+n).
    /// </summary>
    internal static double KolmogorovPValue(double d, double effectiveN)
    {
        var root = Math.Sqrt(effectiveN);
        return KolmogorovSurvival((root + 0.12 + (0.11 / root)) * d);
    }

    /// <summary>Q(λ) = P(K > λ) of the Kolmogorov distribution (scipy's <c>kstwobign.sf</c>).</summary>
    public static double KolmogorovSurvival(double lambda)
    {
        if (lambda <= 0)
        {
            return 1;
        }

        if (lambda < 1.0)
        {
            // The theta-function form converges fast for small λ: P(K ≤ λ) = √(2π)/λ Σ exp(−(2k−1)²π²/(8λ²)).
            var sum = 0.0;
            for (var k = 1; k <= 20; k++)
            {
                var term = Math.Exp(-((2 * k) - 1) * ((2 * k) - 1) * Math.PI * Math.PI / (8 * lambda * lambda));
                sum += term;
                if (term < 1e-300)
                {
                    break;
                }
            }

            return 1 - (Math.Sqrt(2 * Math.PI) / lambda * sum);
        }

        var q = 0.0;
        for (var k = 1; k <= 100; k++)
        {
            var term = Math.Exp(-2.0 * k * k * lambda * lambda);
            q += (k % 2 == 1 ? 2 : -2) * term;
            if (term < 1e-300)
            {
                break;
            }
        }

        return q;
    }

    /// <summary>
    /// Pearson's chi-squared goodness of fit of the current counts to the reference proportions scaled to the current
    /// total (Evidently's <c>chisquare</c> test): returns the statistic and its upper-tail p-value with k−1 degrees of
    /// freedom. A category the reference never saw but the current has makes the statistic infinite (p = 0).
    /// </summary>
    public static (double Statistic, double PValue) ChiSquared(ReadOnlySpan<double> referenceCounts, ReadOnlySpan<double> currentCounts)
    {
        if (referenceCounts.Length != currentCounts.Length)
        {
            throw new ArgumentException("The reference and current counts need the same categories.", nameof(currentCounts));
        }

        double refTotal = Sum(referenceCounts), curTotal = Sum(currentCounts);
        var k = referenceCounts.Length;
        if (k < 2 || refTotal <= 0 || curTotal <= 0)
        {
            return (0, 1);
        }

        var scale = curTotal / refTotal;
        var statistic = 0.0;
        for (var c = 0; c < k; c++)
        {
            var expected = referenceCounts[c] * scale;
            var diff = currentCounts[c] - expected;
            if (expected == 0)
            {
                if (currentCounts[c] > 0)
                {
                    return (double.PositiveInfinity, 0);
                }

                continue;
            }

            statistic += diff * diff / expected;
        }

        return (statistic, SpecialFunctions.GammaUpperRegularized((k - 1) / 2.0, statistic / 2.0));
    }

    /// <summary>
    /// The first Wasserstein distance between two empirical distributions (scipy's <c>wasserstein_distance</c>):
    /// ∫ |F_a(x) − F_b(x)| dx, walked over the merged sorted values.
    /// </summary>
    public static double Wasserstein(ReadOnlySpan<double> sortedA, ReadOnlySpan<double> sortedB)
    {
        int m = sortedA.Length, n = sortedB.Length;
        if (m == 0 || n == 0)
        {
            return 0;
        }

        int i = 0, j = 0;
        var distance = 0.0;
        var previous = Math.Min(sortedA[0], sortedB[0]);
        while (i < m || j < n)
        {
            var next = j >= n || (i < m && sortedA[i] <= sortedB[j]) ? sortedA[i] : sortedB[j];
            distance += Math.Abs(((double)i / m) - ((double)j / n)) * (next - previous);
            while (i < m && sortedA[i] == next)
            {
                i++;
            }

            while (j < n && sortedB[j] == next)
            {
                j++;
            }

            previous = next;
        }

        return distance;
    }

    /// <summary>
    /// The Jensen–Shannon distance (scipy's <c>jensenshannon</c>, natural log): √((KL(p‖m) + KL(q‖m))/2) with m the
    /// mean of the normalised p and q.
    /// </summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sp = Sum(p), sq = Sum(q);
        if (sp <= 0 || sq <= 0)
        {
            return 0;
        }

        var divergence = 0.0;
        for (var c = 0; c < p.Length; c++)
        {
            double a = p[c] / sp, b = q[c] / sq, mid = (a + b) / 2;
            divergence += RelativeEntropy(a, mid) + RelativeEntropy(b, mid);
        }

        return Math.Sqrt(Math.Max(0, divergence / 2));
    }

    /// <summary>The population stability index Σ (r − c)·ln(r/c) over shares that <see cref="FillZeroes"/> made positive.</summary>
    public static double PopulationStabilityIndex(ReadOnlySpan<double> referenceShares, ReadOnlySpan<double> currentShares)
    {
        var psi = 0.0;
        for (var c = 0; c < referenceShares.Length; c++)
        {
            psi += (referenceShares[c] - currentShares[c]) * Math.Log(referenceShares[c] / currentShares[c]);
        }

        return psi;
    }

    /// <summary>
    /// Evidently's treatment of empty bins before a divergence: each zero share becomes 0.0001, or a millionth of the
    /// smallest non-zero share when that is itself at most 0.0001.
    /// </summary>
    public static void FillZeroes(Span<double> shares)
    {
        var smallest = double.PositiveInfinity;
        foreach (var s in shares)
        {
            if (s > 0 && s < smallest)
            {
                smallest = s;
            }
        }

        if (double.IsPositiveInfinity(smallest))
        {
            return;
        }

        var fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
        for (var c = 0; c < shares.Length; c++)
        {
            if (shares[c] == 0)
            {
                shares[c] = fill;
            }
        }
    }

    /// <summary>numpy's <c>histogram_bin_edges(values, bins)</c> over the range of both samples: equal-width edges.</summary>
    public static double[] BinEdges(double min, double max, int bins)
    {
        if (min == max)
        {
            (min, max) = (min - 0.5, max + 0.5);
        }

        var edges = new double[bins + 1];
        var step = (max - min) / bins;
        for (var b = 0; b <= bins; b++)
        {
            edges[b] = min + (b * step);
        }

        edges[bins] = max;
        return edges;
    }

    /// <summary>
    /// Shares of <paramref name="sorted"/> per bin of <paramref name="edges"/> as numpy's <c>histogram</c> counts them
    /// (half-open bins, the last one closed), divided by the sample size.
    /// </summary>
    public static double[] HistogramShares(ReadOnlySpan<double> sorted, double[] edges)
    {
        var bins = edges.Length - 1;
        var shares = new double[bins];
        if (sorted.Length == 0)
        {
            return shares;
        }

        for (var b = 0; b < bins; b++)
        {
            // Sorted values: each bin is two binary searches; the last bin also holds values equal to its right edge.
            var end = b == bins - 1 ? UpperBound(sorted, edges[bins]) : LowerBound(sorted, edges[b + 1]);
            shares[b] = Math.Max(0, end - LowerBound(sorted, edges[b])) / (double)sorted.Length;
        }

        return shares;
    }

    private static int LowerBound(ReadOnlySpan<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static int UpperBound(ReadOnlySpan<double> sorted, double value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static double RelativeEntropy(double x, double y) => x > 0 ? x * Math.Log(x / y) : 0;

    private static double Sum(ReadOnlySpan<double> values)
    {
        var total = 0.0;
        foreach (var v in values)
        {
            total += v;
        }

        return total;
    }
}
