using System.Globalization;
using Strata.Core.Tracking;

namespace Strata.Core.Policies;

/// <summary>What the gate found: passed or not, why, and the numbers.</summary>
public sealed record GateVerdict(bool Passed, IReadOnlyList<string> Reasons, DecisionDetails Details);

/// <summary>
/// The gate's arithmetic, free of I/O: the candidate's metric (latest value on its source run) against the current
/// champion's. A candidate without the metric is refused, whatever else holds; without a champion the first candidate
/// with the metric passes (there is nothing to beat).
/// </summary>
public static class GateEvaluation
{
    public static GateVerdict Evaluate(PolicyGate gate, long version, string? runId, Run? candidateRun, long? championVersion, Run? championRun)
    {
        ArgumentNullException.ThrowIfNull(gate);
        var details = new DecisionDetails { Metric = gate.Metric, RunId = runId, ChampionVersion = championVersion };
        if (runId is null)
        {
            return Refuse(details, $"Version {version} has no source run, so metric '{gate.Metric}' is missing: a policy never promotes a version without its metric.");
        }

        if (candidateRun is null)
        {
            return Refuse(details, $"Source run {runId} of version {version} does not exist, so metric '{gate.Metric}' is missing.");
        }

        var candidate = Latest(candidateRun, gate.Metric);
        if (candidate is null)
        {
            return Refuse(details, $"Metric '{gate.Metric}' is missing on run {runId} of version {version}: a policy never promotes a version without its metric.");
        }

        details = details with { CandidateValue = candidate };
        if (championVersion is null)
        {
            return new GateVerdict(true, [$"Version {version} has {gate.Metric} = {Text(candidate.Value)}; there is no @{gate.ChampionAlias} yet, so there is nothing to beat."], details);
        }

        if (championVersion == version)
        {
            return Refuse(details, $"Version {version} already is @{gate.ChampionAlias}.");
        }

        var champion = championRun is null ? null : Latest(championRun, gate.Metric);
        if (champion is null)
        {
            return Refuse(details, $"@{gate.ChampionAlias} (version {championVersion}) has no metric '{gate.Metric}' to compare with; promote by hand or log the metric on its run.");
        }

        details = details with { ChampionValue = champion };
        var reasons = new List<string>();
        if (gate.SameDataset)
        {
            var candidateDigests = Digests(candidateRun);
            var common = candidateDigests.Intersect(Digests(championRun!), StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (common.Count == 0)
            {
                return Refuse(details,
                    $"The gate asks for the same evaluation data set, but run {runId} logged data set digests [{string.Join(", ", candidateDigests)}] " +
                    $"and the champion's run {championRun!.Info.RunId} logged [{string.Join(", ", Digests(championRun))}]: no digest in common.");
            }

            reasons.Add($"Both runs were evaluated on the data set with digest {common[0]}.");
        }

        var improvement = Improvement(gate.Direction, candidate.Value, champion.Value);
        details = details with { Improvement = double.IsFinite(improvement) ? improvement : null };
        var comparison = $"{gate.Metric} of version {version} is {Text(candidate.Value)} against {Text(champion.Value)} for @{gate.ChampionAlias} (version {championVersion}): " +
            $"{Percent(improvement)} {(improvement >= 0 ? "better" : "worse")} ({(gate.Direction == MetricDirection.Min ? "lower" : "higher")} is better)";
        // Strictly better, and by at least the minimum: an equal value never replaces the champion.
        var passed = improvement > 0 && improvement >= gate.MinImprovement;
        reasons.Add($"{comparison}; the policy requires {(gate.MinImprovement > 0 ? "at least " + Percent(gate.MinImprovement) : "any improvement")}.");
        return new GateVerdict(passed, reasons, details);
    }

    /// <summary>Relative improvement of <paramref name="candidate"/> over <paramref name="champion"/> (positive: better).</summary>
    public static double Improvement(MetricDirection direction, double candidate, double champion)
    {
        var gain = direction == MetricDirection.Min ? champion - candidate : candidate - champion;
        if (champion == 0)
        {
            return gain > 0 ? double.PositiveInfinity : gain < 0 ? double.NegativeInfinity : 0;
        }

        return gain / Math.Abs(champion);
    }

    private static double? Latest(Run run, string key)
    {
        var value = run.Data.Metrics.Where(m => m.Key == key).OrderBy(m => m.Step).ThenBy(m => m.Timestamp).LastOrDefault()?.Value;
        return value is { } v && double.IsFinite(v) ? v : null;
    }

    private static List<string> Digests(Run run) =>
        run.Inputs.DatasetInputs.Select(d => d.Dataset.Digest).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    private static GateVerdict Refuse(DecisionDetails details, string reason) => new(false, [reason], details);

    private static string Text(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Percent(double fraction) =>
        double.IsInfinity(fraction) ? (fraction > 0 ? "infinitely" : "-infinitely") : (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + " %";
}
