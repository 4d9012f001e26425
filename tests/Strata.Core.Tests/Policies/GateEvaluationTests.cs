using Strata.Core.Policies;
using Strata.Core.Tracking;

namespace Strata.Core.Tests.Policies;

public sealed class GateEvaluationTests
{
    private static readonly PolicyGate RmseGate = new("val_rmse", MetricDirection.Min, 0.02, SameDataset: true);

    private static Run RunWith(string id, double? rmse, params string[] digests) => new(
        new RunInfo(id, id, "0", "u", RunStatus.FINISHED, 1, 2, "file:///a", LifecycleStage.Active),
        new RunData(rmse is { } v ? [new Metric("val_rmse", v, 1, 0), new Metric("other", 9, 1, 0)] : [new Metric("other", 9, 1, 0)], [], []),
        new RunInputs(digests.Select(d => new DatasetInput([], new Dataset("eval", d, "local", "{}"))).ToList(), []),
        RunOutputs.Empty);

    [Theory]
    [InlineData(0.45, true)] // 10 % better
    [InlineData(0.49, true)] // exactly 2 % better
    [InlineData(0.495, false)] // 1 % better
    [InlineData(0.5, false)] // equal never replaces the champion
    [InlineData(0.6, false)]
    public void Lower_is_better_by_at_least_the_minimum(double candidate, bool passes)
    {
        var verdict = GateEvaluation.Evaluate(RmseGate, 2, "r2", RunWith("r2", candidate, "d1"), 1, RunWith("r1", 0.5, "d1"));
        Assert.Equal(passes, verdict.Passed);
        Assert.Equal(candidate, verdict.Details.CandidateValue);
        Assert.Equal(0.5, verdict.Details.ChampionValue);
    }

    [Fact]
    public void Higher_is_better_for_max_metrics()
    {
        var gate = new PolicyGate("val_rmse", MetricDirection.Max, 0.01);
        Assert.True(GateEvaluation.Evaluate(gate, 2, "r2", RunWith("r2", 0.99), 1, RunWith("r1", 0.9)).Passed);
        Assert.False(GateEvaluation.Evaluate(gate, 2, "r2", RunWith("r2", 0.5), 1, RunWith("r1", 0.9)).Passed);
        Assert.Equal(double.PositiveInfinity, GateEvaluation.Improvement(MetricDirection.Max, 0.1, 0));
    }

    [Fact]
    public void A_missing_metric_is_refused_whatever_else_holds()
    {
        var noMetric = GateEvaluation.Evaluate(RmseGate, 2, "r2", RunWith("r2", null, "d1"), null, null);
        Assert.False(noMetric.Passed);
        Assert.Contains("Metric 'val_rmse' is missing on run r2", Assert.Single(noMetric.Reasons));
        Assert.False(GateEvaluation.Evaluate(RmseGate, 2, null, null, null, null).Passed);
        Assert.False(GateEvaluation.Evaluate(RmseGate, 2, "gone", null, null, null).Passed);
        Assert.False(GateEvaluation.Evaluate(RmseGate, 2, "r2", RunWith("r2", double.NaN), null, null).Passed);
    }

    [Fact]
    public void Without_a_champion_the_first_version_with_the_metric_passes()
    {
        var verdict = GateEvaluation.Evaluate(RmseGate, 1, "r1", RunWith("r1", 0.5), null, null);
        Assert.True(verdict.Passed);
        Assert.Contains("no @champion yet", verdict.Reasons[0]);
    }

    [Fact]
    public void The_same_evaluation_data_set_is_required_when_asked()
    {
        var different = GateEvaluation.Evaluate(RmseGate, 2, "r2", RunWith("r2", 0.1, "d2"), 1, RunWith("r1", 0.5, "d1"));
        Assert.False(different.Passed);
        Assert.Contains("no digest in common", different.Reasons[0]);
        Assert.True(GateEvaluation.Evaluate(RmseGate with { SameDataset = false }, 2, "r2", RunWith("r2", 0.1, "d2"), 1, RunWith("r1", 0.5, "d1")).Passed);
        Assert.False(GateEvaluation.Evaluate(RmseGate, 2, "r2", RunWith("r2", 0.1, "d1"), 1, RunWith("r1", null, "d1")).Passed); // champion lacks the metric
        Assert.False(GateEvaluation.Evaluate(RmseGate, 1, "r1", RunWith("r1", 0.1, "d1"), 1, RunWith("r1", 0.1, "d1")).Passed); // already champion
    }
}
