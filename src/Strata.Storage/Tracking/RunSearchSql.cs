using Strata.Core.Search;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// runs/search as one SELECT over <c>runs</c>: each filtered metric, param or tag is a
/// <c>run_id IN (SELECT run_id ...)</c> set read off that table's (key, value, run_id) index (M0004), so a
/// filter costs the runs it matches instead of one probe per run of the experiment; each ordered key is one
/// LEFT JOIN on (run_id, key). Cost grows with the keys named, never with a runs × params × tags × metrics
/// product. Metrics are filtered and ordered on <c>latest_metrics</c> only.
/// Not EXISTS: with those indexes and no statistics SQLite flattens a correlated EXISTS into a join that
/// scans the key's index range once per run (measured 60x slower at 10,000 runs).
/// </summary>
internal sealed class RunSearchSql : SearchSqlBuilder
{
    private static readonly HashSet<string> StringAttributes = ["run_id", "run_name", "status", "user_id", "artifact_uri"];
    private static readonly HashSet<string> NumericAttributes = ["start_time", "end_time"];

    private readonly string _sql;

    public RunSearchSql(SqlDialect dialect, IReadOnlyList<long> experimentIds, RunQuery query, int limit, IReadOnlyList<object>? after)
        : base(dialect)
    {
        Conditions.Add($"r.experiment_id IN ({string.Join(", ", experimentIds.Select(id => Bind(id)))})");
        Conditions.Add(query.ViewType switch
        {
            ViewType.ACTIVE_ONLY => "r.lifecycle_stage = 'active'",
            ViewType.DELETED_ONLY => "r.lifecycle_stage = 'deleted'",
            _ => "r.lifecycle_stage IN ('active', 'deleted')",
        });
        foreach (var comparison in query.Filter)
        {
            Conditions.Add(Filter(comparison));
        }

        BuildOrder(query.OrderBy);
        if (after is not null)
        {
            Conditions.Add(KeysetPredicate(after));
        }

        _sql = $"SELECT {TrackingStore.RunColumns}{SelectSortColumns()} FROM runs r {string.Join(" ", Joins)} " +
               $"WHERE {string.Join(" AND ", Conditions)} ORDER BY {OrderByClause()} LIMIT {Bind(limit)}";
    }

    /// <summary>Number of run columns before the sort columns s0..sN.</summary>
    public const int RunColumnCount = 9;

    public string Sql => _sql;

    private string Filter(Comparison comparison)
    {
        var key = comparison.Key;
        var k = key.Key;
        switch (key.Kind)
        {
            case KeyKind.Metric:
                return $"r.run_id IN (SELECT m.run_id FROM latest_metrics m WHERE m.key = {Bind(k)} AND m.is_nan = 0 AND {NumericComparison("m.value", comparison, integer: false)})";
            case KeyKind.Param:
                return $"r.run_id IN (SELECT p.run_id FROM params p WHERE p.key = {Bind(k)} AND {StringComparison("p.value", comparison, allowLists: false)})";
            case KeyKind.Tag:
                return $"r.run_id IN (SELECT t.run_id FROM tags t WHERE t.key = {Bind(k)} AND {StringComparison("t.value", comparison, allowLists: false)})";
            case KeyKind.Dataset:
                return k switch
                {
                    "name" or "digest" =>
                        $"EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON d.dataset_id = i.dataset_id WHERE i.run_id = r.run_id AND {StringComparison("d." + k, comparison, allowLists: true)})",
                    "context" =>
                        $"EXISTS (SELECT 1 FROM input_tags it WHERE it.run_id = r.run_id AND it.key = {Bind(TrackingStore.DatasetContextTag)} AND {StringComparison("it.value", comparison, allowLists: true)})",
                    _ => throw Invalid($"Invalid dataset key '{k}'. Allowed: name, digest, context."),
                };
            default:
                if (NumericAttributes.Contains(k))
                {
                    return NumericComparison("r." + k, comparison, integer: true);
                }

                if (StringAttributes.Contains(k))
                {
                    // MLflow ignores list entries that are not lowercase: run ids are stored lowercase.
                    if (k == "run_id" && comparison.Value is ListValue list)
                    {
                        var kept = list.Values.Where(v => v == v.ToLowerInvariant()).ToList();
                        if (kept.Count == 0)
                        {
                            return comparison.Comparator == Comparator.In ? "1 = 0" : "1 = 1";
                        }

                        comparison = comparison with { Value = new ListValue(kept) };
                    }

                    return StringComparison(AttributeColumn(k), comparison, allowLists: k == "run_id");
                }

                throw Invalid($"Invalid attribute key '{k}' for runs. Allowed: run_id, run_name, status, user_id, artifact_uri, start_time, end_time.");
        }
    }

    private static string AttributeColumn(string k) => k == "run_name" ? "r.name" : "r." + k;

    private void BuildOrder(IReadOnlyList<OrderTerm> orderBy)
    {
        var hasStartTime = false;
        var hasRunId = false;
        for (var i = 0; i < orderBy.Count; i++)
        {
            var term = orderBy[i];
            var k = term.Key.Key;
            var alias = "o" + i;
            switch (term.Key.Kind)
            {
                case KeyKind.Metric:
                    Joins.Add($"LEFT JOIN latest_metrics {alias} ON {alias}.run_id = r.run_id AND {alias}.key = {Bind(k)}");
                    // Numbers first, then NaN, then runs without the metric, in both directions.
                    SortBy($"CASE WHEN {alias}.run_id IS NULL THEN 2 WHEN {alias}.is_nan = 1 THEN 1 ELSE 0 END", true, SortValueKind.Long);
                    SortBy($"CASE WHEN {alias}.is_nan = 0 THEN {alias}.value ELSE 0 END", term.Ascending, SortValueKind.Double);
                    break;
                case KeyKind.Param or KeyKind.Tag:
                    var table = term.Key.Kind == KeyKind.Param ? "params" : "tags";
                    Joins.Add($"LEFT JOIN {table} {alias} ON {alias}.run_id = r.run_id AND {alias}.key = {Bind(k)}");
                    SortByNullable($"{alias}.value", term.Ascending, SortValueKind.String);
                    break;
                case KeyKind.Attribute when k is "start_time":
                    hasStartTime = true;
                    SortBy("r.start_time", term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Attribute when k is "end_time":
                    SortByNullable("r.end_time", term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Attribute when StringAttributes.Contains(k):
                    hasRunId |= k == "run_id";
                    SortBy(AttributeColumn(k), term.Ascending, SortValueKind.String);
                    break;
                default:
                    throw Invalid($"Invalid order_by key '{Describe(term.Key)}' for runs.");
            }
        }

        if (!hasStartTime)
        {
            SortBy("r.start_time", false, SortValueKind.Long);
        }

        if (!hasRunId)
        {
            SortBy("r.run_id", true, SortValueKind.String);
        }
    }
}
