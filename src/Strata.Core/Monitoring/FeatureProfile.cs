using System.Text.Json.Serialization;

namespace Strata.Core.Monitoring;

/// <summary>How a feature's values are compared: as numbers (distributions) or as categories (frequencies).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FeatureKind>))]
public enum FeatureKind
{
    Numeric,
    Categorical,
}

/// <summary>How often one category occurs.</summary>
public sealed record CategoryCount(string Value, long Count);

/// <summary>
/// One feature of a reference profile. Numbers keep their moments, fixed quantiles and a bounded sorted sample (every
/// value up to <see cref="ProfileBuilder.SampleSize"/>, above that evenly spaced order statistics), which is what the
/// distribution tests compare against. Categories keep their most frequent values and the count of all the others.
/// </summary>
public sealed record FeatureProfile
{
    public required string Name { get; init; }

    public required FeatureKind Kind { get; init; }

    /// <summary>Non-missing values.</summary>
    public long Count { get; init; }

    public long Missing { get; init; }

    /// <summary>Distinct non-missing values (numbers: among the sample when the sample is not complete).</summary>
    public long Distinct { get; init; }

    public double? Min { get; init; }

    public double? Max { get; init; }

    public double? Mean { get; init; }

    /// <summary>Population standard deviation (ddof 0), the norm Evidently divides the Wasserstein distance by.</summary>
    public double? Std { get; init; }

    /// <summary>Values at the quantiles 0, 0.01, ..., 1 (linear interpolation), for display and quick comparisons.</summary>
    public IReadOnlyList<double>? Quantiles { get; init; }

    /// <summary>The bounded sorted sample of the values.</summary>
    public IReadOnlyList<double>? Sample { get; init; }

    /// <summary>The most frequent categories, most frequent first (ties by value, ordinal).</summary>
    public IReadOnlyList<CategoryCount>? TopCategories { get; init; }

    /// <summary>How many values fall outside <see cref="TopCategories"/>.</summary>
    public long OtherCount { get; init; }
}

/// <summary>
/// The statistics of a model version's training data (inputs and outputs), stored with the version as JSON; drift
/// compares windows of logged predictions against it.
/// </summary>
public sealed record ReferenceProfile
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public long RowCount { get; init; }

    /// <summary>The column holding the model's prediction on the reference data (or the target), compared with the logged outputs.</summary>
    public string? PredictionColumn { get; init; }

    /// <summary>Where the data came from (a dataset source, an artifact path, "upload").</summary>
    public string? Source { get; init; }

    public required IReadOnlyList<FeatureProfile> Features { get; init; }

    public FeatureProfile? Feature(string name)
    {
        foreach (var f in Features)
        {
            if (string.Equals(f.Name, name, StringComparison.Ordinal))
            {
                return f;
            }
        }

        return null;
    }
}
