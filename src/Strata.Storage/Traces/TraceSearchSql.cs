using Strata.Core.Search;
using Strata.Core.Traces;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Storage.Traces;

/// <summary>
/// traces/search: attributes on <c>trace_info</c>; tags, request metadata and span names as
/// <c>trace_id IN (SELECT ...)</c> over their (key, value, trace_id) indexes; ordering by tags or metadata as
/// LEFT JOINs. The default order (start time newest first, then id) is the trace_info index's own order, so a
/// page walks that index from the keyset on.
/// </summary>
internal sealed class TraceSearchSql : TraceFilterSql
{
    public TraceSearchSql(SqlDialect dialect, IReadOnlyList<long> experimentIds, TraceQuery query, int limit, IReadOnlyList<object>? after)
        : base(dialect)
    {
        Conditions.Add(ExperimentCondition(experimentIds));
        foreach (var comparison in query.Filter)
        {
            Conditions.Add(Filter(comparison));
        }

        BuildOrder(query.OrderBy);
        if (after is not null)
        {
            Conditions.Add(KeysetPredicate(after));
            // The OR form of the keyset hides the range from the planner; restating its first column's bound
            // lets the index seek to the page instead of walking every earlier row.
            if (!Sort[0].Sql.StartsWith("CASE", System.StringComparison.Ordinal))
            {
                Conditions.Add($"{Sort[0].Sql} {(Sort[0].Ascending ? ">=" : "<=")} {Bind(after[0])}");
            }
        }

        Sql = $"SELECT {TraceRows.InfoColumns}{SelectSortColumns()} FROM trace_info t {string.Join(" ", Joins)} " +
              $"WHERE {string.Join(" AND ", Conditions)} ORDER BY {OrderByClause()} LIMIT {Bind(limit)}";
    }

    public string Sql { get; }

    /// <summary>The execution-time sort key: the text of M0014's expression indexes (keep them identical).</summary>
    internal static string ExecutionTimeSortSql(bool ascending) => ascending
        ? "COALESCE(t.execution_time_ms, 9223372036854775807)"
        : "COALESCE(t.execution_time_ms, -9223372036854775807)";

    /// <summary>Ordinal of the first sort column in a result row (after the trace_info columns).</summary>
    public const int FirstSortOrdinal = 8;

    private void BuildOrder(IReadOnlyList<OrderTerm> orderBy)
    {
        var hasTimestamp = false;
        var hasId = false;
        for (var i = 0; i < orderBy.Count; i++)
        {
            var term = orderBy[i];
            var k = term.Key.Key;
            switch (term.Key.Kind)
            {
                case KeyKind.Attribute when k == "timestamp_ms":
                    hasTimestamp = true;
                    SortBy("t.timestamp_ms", term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Attribute when k == "request_id":
                    hasId = true;
                    SortBy("t.trace_id", term.Ascending, SortValueKind.String);
                    break;
                case KeyKind.Attribute when k == "experiment_id":
                    SortBy("t.experiment_id", term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Attribute when k == "status":
                    SortBy("t.state", term.Ascending, SortValueKind.String);
                    break;
                case KeyKind.Attribute when k == "execution_time_ms":
                    // Traces still running (no execution time) come last either way, as in MLflow; one non-null
                    // expression per direction matches M0014's indexes, so a page is a range of one of them.
                    SortBy(ExecutionTimeSortSql(term.Ascending), term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Tag or KeyKind.Metadata:
                    var alias = "o" + i;
                    var table = term.Key.Kind == KeyKind.Tag ? "trace_tags" : "trace_request_metadata";
                    Joins.Add($"LEFT JOIN {table} {alias} ON {alias}.trace_id = t.trace_id AND {alias}.key = {Bind(k)}");
                    SortByNullable($"{alias}.value", term.Ascending, SortValueKind.String);
                    break;
                default:
                    throw Invalid($"Invalid order_by key '{Describe(term.Key)}' for traces.");
            }
        }

        if (!hasTimestamp)
        {
            SortBy("t.timestamp_ms", false, SortValueKind.Long);
        }

        if (!hasId)
        {
            SortBy("t.trace_id", true, SortValueKind.String);
        }
    }
}
