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
        : this(dialect, experimentIds, query, limit, after, candidates: null)
    {
    }

    /// <summary>
    /// With <paramref name="candidates"/>, the top-k form (see <see cref="CanWalkOrderIndex"/>): the query reads only
    /// the first <paramref name="candidates"/> entries of the first order key's (key, value) index, in order, and
    /// checks each candidate's run and filters by primary-key probes. <see cref="BoundarySql"/> gives the value of the
    /// last candidate; only rows strictly before it are exact (ties at it may lie beyond the candidates), so
    /// <see cref="SqlBeforeBoundary"/> keeps just those, and the caller falls back to the full query when they do not
    /// fill the page.
    /// </summary>
    public RunSearchSql(SqlDialect dialect, IReadOnlyList<long> experimentIds, RunQuery query, int limit, IReadOnlyList<object>? after, int? candidates)
        : base(dialect)
    {
        var topK = candidates is not null && CanWalkOrderIndex(query, after, experimentIds.Count);
        Conditions.Add($"r.experiment_id IN ({string.Join(", ", experimentIds.Select(id => Bind(id)))})");
        Conditions.Add(query.ViewType switch
        {
            ViewType.ACTIVE_ONLY => "r.lifecycle_stage = 'active'",
            ViewType.DELETED_ONLY => "r.lifecycle_stage = 'deleted'",
            _ => "r.lifecycle_stage IN ('active', 'deleted')",
        });
        foreach (var comparison in query.Filter)
        {
            Conditions.Add(Filter(comparison, probe: topK));
        }

        BuildOrder(query.OrderBy);
        if (after is not null)
        {
            Conditions.Add(KeysetPredicate(after));
        }

        var select = $"SELECT {TrackingStore.RunColumns}{SelectSortColumns()}";
        var tail = $"ORDER BY {OrderByClause()} LIMIT {Bind(limit)}";
        if (!topK)
        {
            _sql = $"{select} FROM runs r {string.Join(" ", Joins)} WHERE {string.Join(" AND ", Conditions)} {tail}";
            return;
        }

        // The first order key's present values, walked in the page's direction from the token's value on.
        var first = FirstOrder(query);
        var direction = first.Ascending ? "ASC" : "DESC";
        var walk = WalkedColumn(first.Key);
        string candidateWhere;
        if (walk.Table == "runs")
        {
            // An attribute: the experiment's (experiment_id, column) index, so only one experiment (checked above).
            candidateWhere = $"ck.experiment_id = {Bind(experimentIds[0])}" + (walk.Nullable ? $" AND {walk.Column} IS NOT NULL" : "");
        }
        else
        {
            candidateWhere = $"ck.key = {Bind(first.Key.Key)}" + (first.Key.Kind == KeyKind.Metric ? " AND ck.is_nan = 0" : "");
        }

        if (after is not null)
        {
            candidateWhere += $" AND {walk.Column} {(first.Ascending ? ">=" : "<=")} {Bind(after[walk.TokenIndex])}";
        }

        var candidateSql = $"SELECT ck.run_id, {walk.Column} AS value FROM {walk.Table} ck WHERE {candidateWhere} ORDER BY {walk.Column} {direction}";
        _boundarySql = $"SELECT {walk.Column} FROM {walk.Table} ck WHERE {candidateWhere} ORDER BY {walk.Column} {direction} LIMIT 1 OFFSET {Bind(candidates!.Value - 1)}";
        var from = $"FROM ({candidateSql} LIMIT {Bind(candidates.Value)}) c CROSS JOIN runs r {string.Join(" ", Joins)}";
        var where = $"WHERE r.run_id = c.run_id AND {string.Join(" AND ", Conditions)}";
        _sql = $"{select} {from} {where} {tail}";
        _sqlBeforeBoundary = $"{select} {from} {where} AND c.value {(first.Ascending ? "<" : ">")} @boundary {tail}";
    }

    /// <summary>
    /// What the top-k form walks for an order key: its table and value column (alias <c>ck</c>), whether runs may lack
    /// a value (they sort after every value and are left to the full query), and where the page token holds the value.
    /// </summary>
    private readonly record struct Walked(string Table, string Column, bool Nullable, int TokenIndex);

    private static Walked WalkedColumn(SearchKey key) => key.Kind switch
    {
        KeyKind.Metric => new("latest_metrics", "ck.value", true, 1),
        KeyKind.Param => new("params", "ck.value", true, 1),
        KeyKind.Tag => new("tags", "ck.value", true, 1),
        _ => key.Key switch
        {
            // Sort components: start_time and name are one non-null column each; end_time is (is null, value).
            "start_time" => new("runs", "ck.start_time", false, 0),
            "run_name" => new("runs", "ck.name", false, 0),
            "end_time" => new("runs", "ck.end_time", true, 1),
            _ => throw new InvalidOperationException($"No walkable index for {key.Key}."),
        },
    };

    /// <summary>
    /// Whether reading the first <c>candidates</c> entries settles the page for sure when they run out: the order
    /// key's column has a value for every run of the experiment, so the walk saw every run from the token on.
    /// </summary>
    public static bool WalkSeesEveryRun(RunQuery query) =>
        FirstOrder(query).Key is { Kind: KeyKind.Attribute, Key: "start_time" or "run_name" };

    /// <summary>The first sort term: the query's own, or the default order's <c>start_time DESC</c>.</summary>
    private static OrderTerm FirstOrder(RunQuery query) =>
        query.OrderBy.Count > 0 ? query.OrderBy[0] : new OrderTerm(new SearchKey(KeyKind.Attribute, "start_time"), false);

    private readonly string? _boundarySql;
    private readonly string? _sqlBeforeBoundary;

    /// <summary>Top-k form: the last candidate's value (no row when there are fewer candidates than asked).</summary>
    public string BoundarySql => _boundarySql ?? throw new InvalidOperationException("Not a top-k query.");

    /// <summary>Top-k form with only the rows strictly before <c>@boundary</c> in the walk's direction.</summary>
    public string SqlBeforeBoundary => _sqlBeforeBoundary ?? throw new InvalidOperationException("Not a top-k query.");

    /// <summary>
    /// Whether the page can come from walking the first order key's index: the first order term is a metric, param
    /// or tag ((key, value) index), or, when one experiment is searched, <c>start_time</c>, <c>end_time</c> or
    /// <c>run_name</c> ((experiment_id, column) index); and the page starts among runs that have a (non-NaN) value
    /// for it (no order_by is the default <c>start_time DESC</c>). Runs with NaN or without the key (or without an
    /// end time) sort after every value and are left to the full query. Other attributes (status, user_id, ...) have
    /// too few distinct values for a value walk to settle a page: they take the full query.
    /// </summary>
    public static bool CanWalkOrderIndex(RunQuery query, IReadOnlyList<object>? after, int experimentCount)
    {
        var key = FirstOrder(query).Key;
        switch (key.Kind)
        {
            case KeyKind.Metric or KeyKind.Param or KeyKind.Tag:
                return after is null || (after.Count > 1 && after[0] is long l && l == 0);
            case KeyKind.Attribute when experimentCount == 1:
                return key.Key switch
                {
                    "start_time" => after is null || (after.Count > 0 && after[0] is long),
                    "run_name" => after is null || (after.Count > 0 && after[0] is string),
                    "end_time" => after is null || (after.Count > 1 && after[0] is long n && n == 0 && after[1] is long),
                    _ => false,
                };
            default:
                return false;
        }
    }

    /// <summary>Number of run columns before the sort columns s0..sN.</summary>
    public const int RunColumnCount = 9;

    public string Sql => _sql;

    private string Filter(Comparison comparison, bool probe)
    {
        var key = comparison.Key;
        var k = key.Key;
        if (probe && key.Kind is KeyKind.Metric or KeyKind.Param or KeyKind.Tag)
        {
            // One primary-key probe per candidate run: the value or NULL (no such key), and NULL matches nothing,
            // as a run without the key matches no comparison in the set form below.
            return key.Kind switch
            {
                KeyKind.Metric => NumericComparison(
                    $"(SELECT fm.value FROM latest_metrics fm WHERE fm.run_id = r.run_id AND fm.key = {Bind(k)} AND fm.is_nan = 0)", comparison, integer: false),
                KeyKind.Param => StringComparison($"(SELECT fp.value FROM params fp WHERE fp.run_id = r.run_id AND fp.key = {Bind(k)})", comparison, allowLists: false),
                _ => StringComparison($"(SELECT ft.value FROM tags ft WHERE ft.run_id = r.run_id AND ft.key = {Bind(k)})", comparison, allowLists: false),
            };
        }

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
