namespace Strata.Core.Monitoring;

/// <summary>The statistical methods a drift verdict can use; the strings are stored and returned verbatim.</summary>
public static class DriftMethod
{
    /// <summary>Evidently's defaults: by reference size and kind (see <see cref="DriftCalculator"/>).</summary>
    public const string Auto = "auto";

    /// <summary>Two-sample Kolmogorov–Smirnov; score is the p-value, drift when p &lt; threshold.</summary>
    public const string KolmogorovSmirnov = "ks";

    /// <summary>Pearson's chi-squared on category counts; score is the p-value, drift when p &lt; threshold.</summary>
    public const string ChiSquared = "chisquare";

    /// <summary>Wasserstein distance divided by the reference standard deviation; drift when score ≥ threshold.</summary>
    public const string Wasserstein = "wasserstein";

    /// <summary>Jensen–Shannon distance of binned shares; drift when score ≥ threshold.</summary>
    public const string JensenShannon = "jensenshannon";

    /// <summary>Population stability index of binned shares; drift when score ≥ threshold.</summary>
    public const string Psi = "psi";

    public static IReadOnlyList<string> All { get; } = [Auto, KolmogorovSmirnov, ChiSquared, Wasserstein, JensenShannon, Psi];

    /// <summary>Whether the score is a p-value (drift below the threshold) rather than a distance (drift at or above it).</summary>
    public static bool IsPValue(string method) => method is KolmogorovSmirnov or ChiSquared;

    public static double DefaultThreshold(string method) => IsPValue(method) ? 0.05 : 0.1;
}

/// <summary>How drift is computed: the method (<see cref="DriftMethod.Auto"/> unless forced) and an optional threshold.</summary>
public sealed record DriftOptions
{
    public string Method { get; init; } = DriftMethod.Auto;

    /// <summary>Null: the method's default (0.05 for p-values, 0.1 for distances).</summary>
    public double? Threshold { get; init; }

    /// <summary>Numeric histogram bins for Jensen–Shannon and PSI.</summary>
    public int Bins { get; init; } = DriftStatistics.DefaultBins;

    /// <summary>References of at most this many rows get the p-value tests; larger ones the distances.</summary>
    public long SmallReferenceRows { get; init; } = 1000;
}

/// <summary>The verdict for one feature (or the prediction) of one window.</summary>
public sealed record FeatureDrift(
    string Feature,
    bool IsPrediction,
    FeatureKind Kind,
    string Method,
    double Score,
    double Threshold,
    bool Drifted,
    long CurrentCount,
    long CurrentMissing);

/// <summary>A window's drift: per feature verdicts and the share of compared features that drifted.</summary>
public sealed record DriftReport(long ReferenceRows, long CurrentRows, IReadOnlyList<FeatureDrift> Features)
{
    public int DriftedCount => Features.Count(f => f.Drifted);

    public double DriftShare => Features.Count == 0 ? 0 : (double)DriftedCount / Features.Count;
}
