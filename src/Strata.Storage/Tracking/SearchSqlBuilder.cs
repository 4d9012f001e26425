using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Search;
using Strata.Storage.Database;

namespace Strata.Storage.Tracking;

internal enum SortValueKind
{
    Long,
    Double,
    String,
}

/// <summary>One ORDER BY component: an expression that is never NULL, so keyset comparisons stay exact.</summary>
internal sealed record SortComponent(string Sql, bool Ascending, SortValueKind Kind);

/// <summary>
/// What the per-entity search builders share: bind parameters, comparison SQL for the filter
/// grammar, sort components and the keyset predicate that resumes after a page's last row.
/// Every value goes in as a parameter; the only text spliced into SQL is this class's own
/// column and alias names.
/// </summary>
internal abstract class SearchSqlBuilder(SqlDialect dialect)
{
    private int _parameterCount;

    protected SqlDialect Dialect { get; } = dialect;

    public DynamicParameters Parameters { get; } = new();

    public List<SortComponent> Sort { get; } = [];

    protected List<string> Joins { get; } = [];

    protected List<string> Conditions { get; } = [];

    /// <summary>Binds a value and returns its placeholder.</summary>
    public string Bind(object? value)
    {
        var name = "q" + _parameterCount++.ToString(CultureInfo.InvariantCulture);
        Parameters.Add(name, value);
        return "@" + name;
    }

    protected static bool IsStringComparator(Comparator c) => c is Comparator.Equal or Comparator.NotEqual or Comparator.Like or Comparator.ILike;

    protected static bool IsNumericComparator(Comparator c) =>
        c is Comparator.Equal or Comparator.NotEqual or Comparator.Greater or Comparator.GreaterOrEqual or Comparator.Less or Comparator.LessOrEqual;

    protected static MlflowException Invalid(string message) => MlflowException.InvalidParameter(message);

    protected static string Describe(SearchKey key) => key.Kind == KeyKind.Attribute ? key.Key : $"{key.Kind.ToString().ToLowerInvariant()}s.{key.Key}";

    /// <summary>A string comparison of <paramref name="column"/>; IN/NOT IN only when <paramref name="allowLists"/>.</summary>
    protected string StringComparison(string column, Comparison comparison, bool allowLists, Func<string, string>? normalize = null)
    {
        normalize ??= v => v;
        var c = comparison.Comparator;
        if (c is Comparator.In or Comparator.NotIn)
        {
            if (!allowLists || comparison.Value is not ListValue list || list.Values.Count == 0)
            {
                throw Invalid($"Invalid comparator '{c}' or value for '{Describe(comparison.Key)}': a non-empty list is required and only allowed here for IN-capable keys.");
            }

            var placeholders = string.Join(", ", list.Values.Select(v => Bind(normalize(v))));
            return $"{column} {(c == Comparator.In ? "IN" : "NOT IN")} ({placeholders})";
        }

        if (!IsStringComparator(c))
        {
            throw Invalid($"Invalid comparator '{c}' for string key '{Describe(comparison.Key)}'. Allowed: =, !=, LIKE, ILIKE.");
        }

        var value = comparison.Value switch
        {
            StringValue s => s.Value,
            NumberValue n => n.Text,
            _ => throw Invalid($"Expected a quoted string value for '{Describe(comparison.Key)}'."),
        };
        return c switch
        {
            Comparator.Equal => $"{column} = {Bind(normalize(value))}",
            Comparator.NotEqual => $"{column} <> {Bind(normalize(value))}",
            Comparator.Like => Dialect.Like(column, Bind(Dialect.LikePattern(value))),
            _ => Dialect.ILike(column, Bind(Dialect.ILikePattern(value))),
        };
    }

    /// <summary>A numeric comparison; integer attributes bind an integer when the literal is one.</summary>
    protected string NumericComparison(string column, Comparison comparison, bool integer)
    {
        if (!IsNumericComparator(comparison.Comparator))
        {
            throw Invalid($"Invalid comparator '{comparison.Comparator}' for numeric key '{Describe(comparison.Key)}'. Allowed: =, !=, >, >=, <, <=.");
        }

        if (comparison.Value is not NumberValue number)
        {
            throw Invalid($"Expected a numeric value for '{Describe(comparison.Key)}'.");
        }

        object bound = integer && long.TryParse(number.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l : number.Value;
        return $"{column} {Operator(comparison.Comparator)} {Bind(bound)}";
    }

    private static string Operator(Comparator c) => c switch
    {
        Comparator.Equal => "=",
        Comparator.NotEqual => "<>",
        Comparator.Greater => ">",
        Comparator.GreaterOrEqual => ">=",
        Comparator.Less => "<",
        _ => "<=",
    };

    /// <summary>A non-null column.</summary>
    protected void SortBy(string sql, bool ascending, SortValueKind kind) => Sort.Add(new SortComponent(sql, ascending, kind));

    /// <summary>A nullable value whose missing rows sort last in both directions.</summary>
    protected void SortByNullable(string sql, bool ascending, SortValueKind kind)
    {
        Sort.Add(new SortComponent($"CASE WHEN {sql} IS NULL THEN 1 ELSE 0 END", true, SortValueKind.Long));
        var empty = kind == SortValueKind.String ? "''" : "0";
        Sort.Add(new SortComponent($"COALESCE({sql}, {empty})", ascending, kind));
    }

    protected string SelectSortColumns() => string.Concat(Sort.Select((s, i) => $", {s.Sql} AS s{i}"));

    protected string OrderByClause() => string.Join(", ", Sort.Select((s, i) => $"s{i} {(s.Ascending ? "ASC" : "DESC")}"));

    /// <summary>Rows strictly after the given sort values: (c1 &gt; v1) OR (c1 = v1 AND c2 &gt; v2) OR ...</summary>
    protected string KeysetPredicate(IReadOnlyList<object> values)
    {
        if (values.Count != Sort.Count)
        {
            throw Invalid("Invalid page token: it does not match this query's ordering.");
        }

        var bound = new List<string>(values.Count);
        for (var i = 0; i < values.Count; i++)
        {
            bound.Add(Bind(Coerce(values[i], Sort[i].Kind)));
        }

        var disjuncts = new List<string>();
        for (var i = 0; i < Sort.Count; i++)
        {
            var parts = new List<string>();
            for (var j = 0; j < i; j++)
            {
                parts.Add($"{Sort[j].Sql} = {bound[j]}");
            }

            parts.Add($"{Sort[i].Sql} {(Sort[i].Ascending ? ">" : "<")} {bound[i]}");
            disjuncts.Add("(" + string.Join(" AND ", parts) + ")");
        }

        return "(" + string.Join(" OR ", disjuncts) + ")";
    }

    /// <summary>Reads the sort values of a result row (columns s0..sN) for the next page's token.</summary>
    public List<object> ReadSortValues(System.Data.Common.DbDataReader reader, int firstOrdinal)
    {
        var values = new List<object>(Sort.Count);
        for (var i = 0; i < Sort.Count; i++)
        {
            values.Add(Coerce(reader.GetValue(firstOrdinal + i), Sort[i].Kind));
        }

        return values;
    }

    private static object Coerce(object value, SortValueKind kind)
    {
        try
        {
            return kind switch
            {
                SortValueKind.Long => Convert.ToInt64(value, CultureInfo.InvariantCulture),
                SortValueKind.Double => Convert.ToDouble(value, CultureInfo.InvariantCulture),
                _ => value as string ?? throw new FormatException(),
            };
        }
        catch (Exception ex) when (ex is FormatException or InvalidCastException or OverflowException)
        {
            throw Invalid("Invalid page token: a value does not match this query's ordering.");
        }
    }

    /// <summary>A short hash of what a page token must be replayed against.</summary>
    public static string Fingerprint(string entity, IEnumerable<string> scope, IReadOnlyList<Comparison> filter, IReadOnlyList<OrderTerm> orderBy)
    {
        var sb = new StringBuilder(entity).Append('|');
        foreach (var s in scope)
        {
            sb.Append(s).Append(',');
        }

        foreach (var c in filter)
        {
            sb.Append('|').Append(c.Key.Kind).Append(':').Append(c.Key.Key).Append(':').Append(c.Comparator).Append(':').Append(c.Value switch
            {
                StringValue s => "s" + s.Value,
                NumberValue n => "n" + n.Text,
                ListValue l => "l" + string.Join('\u0001', l.Values),
                _ => "?",
            });
        }

        foreach (var o in orderBy)
        {
            sb.Append("|o").Append(o.Key.Kind).Append(':').Append(o.Key.Key).Append(':').Append(o.Ascending);
        }

        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())), 0, 12);
    }
}
