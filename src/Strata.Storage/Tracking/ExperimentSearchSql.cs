using Strata.Core.Search;
using Strata.Core.Tracking;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

/// <summary>experiments/search: attributes on <c>experiments</c>, tags as EXISTS / LEFT JOIN on <c>experiment_tags</c>.</summary>
internal sealed class ExperimentSearchSql : SearchSqlBuilder
{
    public const int ExperimentColumnCount = 6;

    public ExperimentSearchSql(SqlDialect dialect, ExperimentQuery query, int limit, IReadOnlyList<object>? after)
        : base(dialect)
    {
        Conditions.Add(query.ViewType switch
        {
            ViewType.ACTIVE_ONLY => "e.lifecycle_stage = 'active'",
            ViewType.DELETED_ONLY => "e.lifecycle_stage = 'deleted'",
            _ => "e.lifecycle_stage IN ('active', 'deleted')",
        });
        foreach (var comparison in query.Filter)
        {
            Conditions.Add(Filter(comparison));
        }

        if (query.Readable is { } scope)
        {
            // Permission filtering inside the query, so pages stay full and page tokens right.
            var ids = scope.Except.Select(id => long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1).ToList();
            Conditions.Add($"e.experiment_id {(scope.ReadableByDefault ? "NOT IN" : "IN")} (SELECT rs.value FROM {Dialect.ListTable(Bind(new ListParameter(Dialect.IntegerListValue(ids))), "rs")})");
        }

        BuildOrder(query.OrderBy);
        if (after is not null)
        {
            Conditions.Add(KeysetPredicate(after));
        }

        Sql = "SELECT e.experiment_id AS ExperimentId, e.name AS Name, e.artifact_location AS ArtifactLocation, e.lifecycle_stage AS LifecycleStage, " +
              $"e.creation_time AS CreationTime, e.last_update_time AS LastUpdateTime{SelectSortColumns()} FROM experiments e {string.Join(" ", Joins)} " +
              $"WHERE {string.Join(" AND ", Conditions)} ORDER BY {OrderByClause()} LIMIT {Bind(limit)}";
    }

    public string Sql { get; }

    private string Filter(Comparison comparison)
    {
        var k = comparison.Key.Key;
        return comparison.Key.Kind switch
        {
            KeyKind.Tag => $"EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id AND t.key = {Bind(k)} AND {StringComparison("t.value", comparison, allowLists: false)})",
            KeyKind.Attribute when k == "name" => StringComparison("e.name", comparison, allowLists: false),
            KeyKind.Attribute when k is "creation_time" or "last_update_time" => NumericComparison("e." + k, comparison, integer: true),
            KeyKind.Attribute when k == "experiment_id" => NumericComparison("e.experiment_id", comparison, integer: true),
            _ => throw Invalid($"Invalid filter key '{Describe(comparison.Key)}' for experiments. Allowed: name, creation_time, last_update_time, tags.<key>."),
        };
    }

    private void BuildOrder(IReadOnlyList<OrderTerm> orderBy)
    {
        if (orderBy.Count == 0)
        {
            SortBy("e.creation_time", false, SortValueKind.Long);
            SortBy("e.experiment_id", true, SortValueKind.Long);
            return;
        }

        var hasId = false;
        for (var i = 0; i < orderBy.Count; i++)
        {
            var term = orderBy[i];
            var k = term.Key.Key;
            switch (term.Key.Kind)
            {
                case KeyKind.Attribute when k == "name":
                    SortBy("e.name", term.Ascending, SortValueKind.String);
                    break;
                case KeyKind.Attribute when k is "creation_time" or "last_update_time" or "experiment_id":
                    hasId |= k == "experiment_id";
                    SortBy("e." + k, term.Ascending, SortValueKind.Long);
                    break;
                case KeyKind.Tag:
                    var alias = "o" + i;
                    Joins.Add($"LEFT JOIN experiment_tags {alias} ON {alias}.experiment_id = e.experiment_id AND {alias}.key = {Bind(k)}");
                    SortByNullable($"{alias}.value", term.Ascending, SortValueKind.String);
                    break;
                default:
                    throw Invalid($"Invalid order_by key '{Describe(term.Key)}' for experiments. Allowed: name, experiment_id, creation_time, last_update_time.");
            }
        }

        if (!hasId)
        {
            SortBy("e.experiment_id", false, SortValueKind.Long);
        }
    }
}
