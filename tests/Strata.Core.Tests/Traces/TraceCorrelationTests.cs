using Strata.Core.Traces;

namespace Strata.Core.Tests.Traces;

/// <summary>NPMI of calculate-filter-correlation; expected values are what MLflow 3.5's own calculation gives for the same counts.</summary>
public sealed class TraceCorrelationTests
{
    [Theory]
    [InlineData(5, 10, 5, 20, 0.49999999999999944, 0.43723455895807095)]
    [InlineData(0, 10, 6, 21, -1.0, -0.4966405023536906)]
    [InlineData(10, 20, 15, 100, 0.5228787452803378, 0.5098689991831412)]
    [InlineData(3, 3, 3, 3, 1.0, 1.0)]
    [InlineData(2, 5, 5, 1000, 0.7051171313258549, 0.7078587777653168)]
    [InlineData(7, 7, 9, 9, 0.0, 0.08034538162452863)]
    [InlineData(1, 1, 1, 2, 1.0, 0.41339010522284747)]
    public void Npmi_matches_MLflow(long joint, long first, long second, long total, double npmi, double smoothed)
    {
        var result = TraceCorrelationResult.From(new TraceCorrelationCounts(total, first, second, joint));
        Assert.Equal(npmi, result.Npmi, 12);
        Assert.Equal(smoothed, result.NpmiSmoothed, 12);
    }

    [Theory]
    [InlineData(0, 0, 5, 10)] // a filter that matches nothing
    [InlineData(0, 0, 0, 0)] // no population
    [InlineData(4, 3, 5, 10)] // contradictory counts (joint above a filter's count)
    public void Undefined_cases_are_NaN(long joint, long first, long second, long total)
    {
        var result = TraceCorrelationResult.From(new TraceCorrelationCounts(total, first, second, joint));
        Assert.True(double.IsNaN(result.Npmi));
        Assert.True(double.IsNaN(result.NpmiSmoothed));
    }
}
