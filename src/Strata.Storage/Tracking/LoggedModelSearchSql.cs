using Strata.Core.Search;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>
/// logged-models/search. A model's metric value for filtering and ordering is its latest point for the
/// key, the greatest (step, timestamp, value) with NaN lowest, found through the history's primary key.
/// </summary>
internal sealed class LoggedModelSearchSql : SearchSqlBuilder
{
    public const int ModelColumnCount = 11;

    private static readonly Dictionary<string, string> StringAttributes = new()
    {
        ["name"] = "lm.name",
        ["model_id"] = "lm.model_id",
        ["model_type"] = "lm.model_type",
        ["status"] = "lm.status",
        ["source_run_id"] = "lm.source_run_id",
    };

    private static readonly Dictionary<string, string> NumericAttributes = new()
    {
        ["creation_timestamp"] = "lm.creation_timestamp_ms",
        ["creation_time"] = "lm.creation_timestamp_ms",
        ["creation_timestamp_ms"] = "lm.creation_timestamp_ms",
        ["last_updated_timestamp"] = "lm.last_updated_timestamp_ms",
        ["last_updated_time"] = "lm.last_updated_timestamp_ms",
        ["last_updated_timestamp_ms"] = "lm.last_updated_timestamp_ms",
    };

    public LoggedModelSearchSql(SqlDialect dialect, IReadOnlyList<long> experimentIds, LoggedModelQuery query, int limit, IReadOnlyList<object>? after)
        : base(dialect)
    {
        Conditions.Add($"lm.experiment_id IN ({string.Join(", ", experimentIds.Select(id => Bind(id)))})");
        Conditions.Add("lm.lifecycle_stage = 'active'");
        _filterDatasets = query.Datasets ?? [];
        foreach (var comparison in query.Filter)
        {
            Conditions.Add(Filter(comparison));
        }

        BuildOrder(query.OrderBy, query.OrderDatasets ?? []);
        if (after is not null)
        {
            Conditions.Add(KeysetPredicate(after));
        }

        Sql = $"SELECT {TrackingStore.LoggedModelColumns}{SelectSortColumns()} FROM logged_models lm {string.Join(" ", Joins)} " +
              $"WHERE {string.Join(" AND ", Conditions)} ORDER BY {OrderByClause()} LIMIT {Bind(limit)}";
    }

    private readonly IReadOnlyList<DatasetRef> _filterDatasets;

    public string Sql { get; }

    /// <summary>
    /// True when no point of the same model and key (among the points of <paramref name="datasetMatch"/>'s
    /// datasets, when given) is later than <paramref name="alias"/>'s.
    /// </summary>
    private static string IsLatest(string alias, Func<string, string>? datasetMatch = null) =>
        $"NOT EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = {alias}.model_id AND x.key = {alias}.key " +
        (datasetMatch is null ? "" : $"AND {datasetMatch("x")} ") +
        $"AND (x.step, x.timestamp, -x.is_nan, x.value, x.run_id) > ({alias}.step, {alias}.timestamp, -{alias}.is_nan, {alias}.value, {alias}.run_id))";

    /// <summary>A predicate on a metric alias: logged against one of the datasets (digest ignored when null). Binds once.</summary>
    private Func<string, string>? DatasetMatch(IReadOnlyList<DatasetRef> datasets)
    {
        if (datasets.Count == 0)
        {
            return null;
        }

        var bound = datasets.Select(d => (Name: Bind(d.Name), Digest: d.Digest is null ? null : Bind(d.Digest))).ToList();
        return alias => "(" + string.Join(" OR ", bound.Select(d => d.Digest is null
            ? $"{alias}.dataset_name = {d.Name}"
            : $"({alias}.dataset_name = {d.Name} AND {alias}.dataset_digest = {d.Digest})")) + ")";
    }

    /// <summary>Accepts <c>READY</c> as well as <c>LOGGED_MODEL_READY</c>.</summary>
    private static string NormalizeStatus(string value) =>
        value.StartsWith("LOGGED_MODEL_", System.StringComparison.Ordinal) || value == nameof(LoggedModelStatus.LOGGED_MODEL_STATUS_UNSPECIFIED) ? value : "LOGGED_MODEL_" + value;

    private string Filter(Comparison comparison)
    {
        var k = comparison.Key.Key;
        switch (comparison.Key.Kind)
        {
            case KeyKind.Metric:
                var match = DatasetMatch(_filterDatasets);
                return $"EXISTS (SELECT 1 FROM logged_model_metrics m WHERE m.model_id = lm.model_id AND m.key = {Bind(k)} " +
                       (match is null ? "" : $"AND {match("m")} ") +
                       $"AND {IsLatest("m", match)} AND m.is_nan = 0 AND {NumericComparison("m.value", comparison, integer: false)})";
            case KeyKind.Param:
                return $"EXISTS (SELECT 1 FROM logged_model_params p WHERE p.model_id = lm.model_id AND p.key = {Bind(k)} AND {StringComparison("p.value", comparison, allowLists: false)})";
            case KeyKind.Tag:
                return $"EXISTS (SELECT 1 FROM logged_model_tags t WHERE t.model_id = lm.model_id AND t.key = {Bind(k)} AND {StringComparison("t.value", comparison, allowLists: false)})";
            case KeyKind.Attribute when NumericAttributes.TryGetValue(k, out var numeric):
                return NumericComparison(numeric, comparison, integer: true);
            case KeyKind.Attribute when StringAttributes.TryGetValue(k, out var column):
                var isStatus = k == "status" && comparison.Comparator is Comparator.Equal or Comparator.NotEqual or Comparator.In or Comparator.NotIn;
                return StringComparison(column, comparison, allowLists: true, isStatus ? NormalizeStatus : null);
            default:
                throw Invalid($"Invalid filter key '{Describe(comparison.Key)}' for logged models.");
        }
    }

    private void BuildOrder(IReadOnlyList<OrderTerm> orderBy, IReadOnlyList<DatasetRef?> orderDatasets)
    {
        var hasId = false;
        var hasCreation = false;
        for (var i = 0; i < orderBy.Count; i++)
        {
            var term = orderBy[i];
            var k = term.Key.Key;
            var alias = "o" + i;
            switch (term.Key.Kind)
            {
                case KeyKind.Metric:
                    var dataset = i < orderDatasets.Count ? orderDatasets[i] : null;
                    var orderMatch = dataset is null ? null : DatasetMatch([dataset]);
                    Joins.Add($"LEFT JOIN logged_model_metrics {alias} ON {alias}.model_id = lm.model_id AND {alias}.key = {Bind(k)} " +
                              (orderMatch is null ? "" : $"AND {orderMatch(alias)} ") +
                              $"AND {IsLatest(alias, orderMatch)}");
                    SortBy($"CASE WHEN {alias}.model_id IS NULL THEN 2 WHEN {alias}.is_nan = 1 THEN 1 ELSE 0 END", true, SortValueKind.Long);
                    SortBy($"CASE WHEN {alias}.is_nan = 0 THEN {alias}.value ELSE 0 END", term.Ascending, SortValueKind.Double);
                    break;
                case KeyKind.Attribute when NumericAttributes.TryGetValue(k, out var numeric):
                    hasCreation |= numeric == "lm.creation_timestamp_ms";
                    SortBy(numeric, term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Attribute when StringAttributes.TryGetValue(k, out var column):
                    hasId |= k == "model_id";
                    if (k is "model_type" or "source_run_id")
                    {
                        SortByNullable(column, term.Ascending, SortValueKind.String);
                    }
                    else
                    {
                        SortBy(column, term.Ascending, SortValueKind.String);
                    }

                    break;
                default:
                    throw Invalid($"Invalid order_by key '{Describe(term.Key)}' for logged models.");
            }
        }

        if (!hasCreation)
        {
            SortBy("lm.creation_timestamp_ms", false, SortValueKind.Long);
        }

        if (!hasId)
        {
            SortBy("lm.model_id", true, SortValueKind.String);
        }
    }
}
