using Strata.Core.Search;
using Strata.Core.Traces;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Storage.Traces;

/// <summary>
/// The trace filter grammar as SQL predicates on <c>trace_info t</c>: attributes on the row; tags, request metadata
/// and span names as <c>t.trace_id IN (SELECT ...)</c> over their (key, value) indexes. Shared by the
/// search and by calculate-filter-correlation, so both read a filter the same way.
/// </summary>
internal abstract class TraceFilterSql(SqlDialect dialect) : SearchSqlBuilder(dialect)
{
    protected string ExperimentCondition(IReadOnlyList<long> experimentIds) => experimentIds.Count == 1
        ? $"t.experiment_id = {Bind(experimentIds[0])}"
        : $"t.experiment_id IN ({string.Join(", ", experimentIds.Select(id => Bind(id)))})";

    /// <summary>The clauses joined by AND ("1 = 1" when there are none).</summary>
    protected string AllOf(IReadOnlyList<Comparison> filter) =>
        filter.Count == 0 ? "1 = 1" : string.Join(" AND ", filter.Select(Filter));

    /// <summary>One filter clause as a predicate on <c>trace_info t</c>.</summary>
    protected string Filter(Comparison comparison)
    {
        var k = comparison.Key.Key;
        return comparison.Key.Kind switch
        {
            KeyKind.Tag => $"t.trace_id IN (SELECT x.trace_id FROM trace_tags x WHERE x.key = {Bind(k)}{TagIndexCondition(k)} AND {StringComparison("x.value", comparison, allowLists: true)})",
            KeyKind.Metadata => $"t.trace_id IN (SELECT x.trace_id FROM trace_request_metadata x WHERE x.key = {Bind(k)} AND {StringComparison("x.value", comparison, allowLists: true)})",
            KeyKind.Span when k == "name" => $"t.trace_id IN (SELECT x.trace_id FROM trace_spans x WHERE {StringComparison("x.name", comparison, allowLists: true)})",
            KeyKind.Attribute when k == "request_id" => StringComparison("t.trace_id", comparison, allowLists: true),
            KeyKind.Attribute when k == "status" => StringComparison("t.state", comparison, allowLists: true),
            KeyKind.Attribute when k is "timestamp_ms" or "execution_time_ms" => NumericComparison("t." + k, comparison, integer: true),
            KeyKind.Attribute when k == "run_id" => RunFilter(comparison),
            _ => throw Invalid($"Invalid filter key '{Describe(comparison.Key)}' for traces."),
        };
    }

    /// <summary>
    /// The tag index is partial (M0019: the artifact location is left out), and a planner uses a partial index only
    /// when the query states its condition: a bound key cannot prove it, the literal can.
    /// </summary>
    private static string TagIndexCondition(string key) =>
        key == TraceKeys.ArtifactLocation ? "" : " AND x." + Migrations.M0019_TracePairIndexes.TagIndexCondition;

    /// <summary>
    /// <c>run_id = 'r'</c> matches traces whose metadata names the run and traces linked to it (LinkTracesToRun);
    /// the negative forms compare the metadata only, as MLflow does.
    /// </summary>
    private string RunFilter(Comparison comparison)
    {
        var metadata = $"t.trace_id IN (SELECT x.trace_id FROM trace_request_metadata x WHERE x.key = {Bind(TraceKeys.SourceRun)} AND {StringComparison("x.value", comparison, allowLists: true)})";
        if (comparison.Comparator is not (Comparator.Equal or Comparator.In))
        {
            return metadata;
        }

        return $"({metadata} OR t.trace_id IN (SELECT l.trace_id FROM trace_run_links l WHERE {StringComparison("l.run_id", comparison, allowLists: true)}))";
    }

}
