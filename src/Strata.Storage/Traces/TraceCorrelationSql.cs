using Strata.Core.Search;
using Strata.Storage.Database;

namespace Strata.Storage.Traces;

/// <summary>
/// calculate-filter-correlation's four counts in one pass over the population (the experiments' traces matching the
/// base filter): each filter is a predicate on the same row, counted with SUM(CASE ...), so no trace is read twice.
/// </summary>
internal sealed class TraceCorrelationSql : TraceFilterSql
{
    public TraceCorrelationSql(
        SqlDialect dialect, IReadOnlyList<long> experimentIds, IReadOnlyList<Comparison> filter1, IReadOnlyList<Comparison> filter2, IReadOnlyList<Comparison> baseFilter)
        : base(dialect)
    {
        var first = AllOf(filter1);
        var second = AllOf(filter2);
        Conditions.Add(ExperimentCondition(experimentIds));
        foreach (var comparison in baseFilter)
        {
            Conditions.Add(Filter(comparison));
        }

        Sql = "SELECT COUNT(*) AS Total, " +
              $"COALESCE(SUM(CASE WHEN {first} THEN 1 ELSE 0 END), 0) AS Filter1, " +
              $"COALESCE(SUM(CASE WHEN {second} THEN 1 ELSE 0 END), 0) AS Filter2, " +
              $"COALESCE(SUM(CASE WHEN ({first}) AND ({second}) THEN 1 ELSE 0 END), 0) AS Joint " +
              $"FROM trace_info t WHERE {string.Join(" AND ", Conditions)}";
    }

    public string Sql { get; }
}
