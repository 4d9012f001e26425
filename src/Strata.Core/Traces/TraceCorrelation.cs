namespace Strata.Core.Traces;

/// <summary>How many traces (of the population a base filter selects) match each of two filters, and both.</summary>
public sealed record TraceCorrelationCounts(long Total, long Filter1, long Filter2, long Joint);

/// <summary>
/// The answer of calculate-filter-correlation: normalized pointwise mutual information between "matches filter 1"
/// and "matches filter 2", raw and with Jeffreys smoothing; NaN where it is undefined.
/// </summary>
public sealed record TraceCorrelationResult(double Npmi, double NpmiSmoothed, TraceCorrelationCounts Counts)
{
    /// <summary>
    /// NPMI over the 2x2 table of the counts, as MLflow 3.5 defines it: undefined (NaN) when there is no population
    /// or either filter matches nothing (or the counts contradict each other); the raw value is -1 when both filters
    /// match something but never together; the smoothed value adds <see cref="JeffreysPrior"/> to every cell.
    /// </summary>
    public static TraceCorrelationResult From(TraceCorrelationCounts counts)
    {
        if (counts.Total <= 0 || counts.Filter1 == 0 || counts.Filter2 == 0)
        {
            return new TraceCorrelationResult(double.NaN, double.NaN, counts);
        }

        double both = counts.Joint;
        double onlyFirst = counts.Filter1 - counts.Joint;
        double onlySecond = counts.Filter2 - counts.Joint;
        double neither = counts.Total - counts.Filter1 - counts.Filter2 + counts.Joint;
        if (Math.Min(Math.Min(both, onlyFirst), Math.Min(onlySecond, neither)) < 0)
        {
            return new TraceCorrelationResult(double.NaN, double.NaN, counts);
        }

        var raw = counts.Joint == 0 ? -1.0 : Compute(both, onlyFirst, onlySecond, neither, 0);
        return new TraceCorrelationResult(raw, Compute(both, onlyFirst, onlySecond, neither, JeffreysPrior), counts);
    }

    /// <summary>The additive smoothing of the smoothed value (Jeffreys prior).</summary>
    public const double JeffreysPrior = 0.5;

    private static double Compute(double both, double onlyFirst, double onlySecond, double neither, double smoothing)
    {
        var n11 = both + smoothing;
        var n = n11 + onlyFirst + smoothing + onlySecond + smoothing + neither + smoothing;
        var first = n11 + onlyFirst + smoothing;
        var second = n11 + onlySecond + smoothing;
        if (first <= 0 || second <= 0 || n11 <= 0)
        {
            return double.NaN;
        }

        // Every trace matches both filters (judged on the unsmoothed cells): perfect association.
        if (onlyFirst == 0 && onlySecond == 0 && neither == 0)
        {
            return 1.0;
        }

        // pmi = log(p(x,y) / (p(x) p(y))), normalized by -log p(x,y); in log space for stability.
        var pmi = Math.Log(n11) + Math.Log(n) - Math.Log(first) - Math.Log(second);
        var npmi = pmi / -(Math.Log(n11) - Math.Log(n));
        return Math.Clamp(npmi, -1.0, 1.0);
    }
}
