using System.Globalization;
using System.Text;
using Dapper;
using Strata.Core.Errors;
using Strata.Core.Registry;
using Strata.Core.Search;
using Strata.Storage.Database;

namespace Strata.Storage.Registry;

/// <summary>
/// Turns a registry search AST (spec §10.3, §10.4) into a parameterised WHERE and ORDER BY.
/// Tag clauses become one EXISTS on the tag table each, so an entity without the key matches nothing.
/// </summary>
internal sealed class RegistrySearchSql(SqlDialect dialect, bool versions)
{
    private readonly StringBuilder _where = new();
    private int _next;

    public DynamicParameters Parameters { get; } = new();

    public string Where => _where.ToString();

    /// <summary>
    /// Adds the filter; returns whether it asks for prompts. As in MLflow 3, the first clause on the prompt tag
    /// decides: <c>= 'true'</c> or <c>!= 'false'</c> asks for prompts and stays a plain tag clause; any other
    /// prompt-tag clause (MLflow 3 clients append <c>!= 'true'</c> to every search) only means "not prompts", so it
    /// is dropped here and the caller excludes prompts, keeping entities that have no such tag at all.
    /// </summary>
    public bool AddFilter(IReadOnlyList<Comparison> filter)
    {
        var promptClause = filter.FirstOrDefault(IsPromptTagClause);
        var asksForPrompts = promptClause is { Value: StringValue { Value: var wanted } }
            && ((promptClause.Comparator == Comparator.Equal && wanted.Equals("true", StringComparison.OrdinalIgnoreCase))
                || (promptClause.Comparator == Comparator.NotEqual && wanted.Equals("false", StringComparison.OrdinalIgnoreCase)));
        foreach (var clause in filter)
        {
            if (asksForPrompts || !IsPromptTagClause(clause))
            {
                _where.Append(" AND ").Append(Clause(clause));
            }
        }

        return asksForPrompts;
    }

    private static bool IsPromptTagClause(Comparison clause) => clause.Key is { Kind: KeyKind.Tag, Key: PromptTags.IsPrompt };

    /// <summary>Excludes prompts: models tagged as one (and, for versions, versions tagged as one).</summary>
    public void ExcludePrompts()
    {
        var key = Param(PromptTags.IsPrompt);
        var value = Param("true");
        var nameColumn = versions ? "mv.name" : "rm.name";
        _where.Append($" AND NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.name = {nameColumn} AND pt.key = {key} AND pt.value = {value})");
        if (versions)
        {
            _where.Append($" AND NOT EXISTS (SELECT 1 FROM model_version_tags pvt WHERE pvt.name = mv.name AND pvt.version = mv.version AND pvt.key = {key} AND pvt.value = {value})");
        }
    }

    /// <summary>ORDER BY with MLflow's defaults and tie-breaks.</summary>
    public string OrderBy(IReadOnlyList<OrderTerm> orderBy)
    {
        var terms = new List<(string Column, bool Ascending)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in orderBy)
        {
            if (term.Key.Kind != KeyKind.Attribute)
            {
                throw MlflowException.InvalidParameter($"Invalid order_by entity type '{term.Key.Kind}'; only attributes can be ordered by.");
            }

            var column = OrderColumn(term.Key.Key);
            if (!seen.Add(column))
            {
                throw MlflowException.InvalidParameter($"`order_by` contains duplicate fields: {term.Key.Key}");
            }

            terms.Add((column, term.Ascending));
        }

        if (versions)
        {
            if (terms.Count == 0)
            {
                terms.Add(("mv.last_updated_timestamp", false));
                seen.Add("mv.last_updated_timestamp");
            }

            if (seen.Add("mv.name"))
            {
                terms.Add(("mv.name", true));
            }

            if (seen.Add("mv.version"))
            {
                terms.Add(("mv.version", false));
            }
        }
        else if (seen.Add("rm.name"))
        {
            terms.Add(("rm.name", true));
        }

        return string.Join(", ", terms.Select(t => t.Column + (t.Ascending ? " ASC" : " DESC")));
    }

    private string OrderColumn(string key) => (versions, key) switch
    {
        (false, "name") => "rm.name",
        (false, "timestamp" or "last_updated_timestamp") => "rm.last_updated_timestamp",
        (false, "creation_timestamp") => "rm.creation_timestamp",
        (true, "name") => "mv.name",
        (true, "version_number" or "version") => "mv.version",
        (true, "creation_timestamp") => "mv.creation_timestamp",
        (true, "timestamp" or "last_updated_timestamp") => "mv.last_updated_timestamp",
        _ => throw MlflowException.InvalidParameter(
            versions
                ? $"Invalid order by key '{key}' specified. Valid keys are 'name', 'version_number', 'creation_timestamp', 'last_updated_timestamp'."
                : $"Invalid order by key '{key}' specified. Valid keys are 'name', 'timestamp', 'last_updated_timestamp'."),
    };

    private string Clause(Comparison clause) => clause.Key.Kind switch
    {
        KeyKind.Tag => TagClause(clause),
        KeyKind.Attribute => AttributeClause(clause),
        _ => throw MlflowException.InvalidParameter(
            $"Invalid entity type '{clause.Key.Kind}' in filter; only attributes and tags can be searched for {(versions ? "model versions" : "registered models")}."),
    };

    private string TagClause(Comparison clause)
    {
        var key = Param(clause.Key.Key);
        var condition = StringCondition("t.value", clause, $"tags.{clause.Key.Key}", allowIn: false);
        return versions
            ? $"EXISTS (SELECT 1 FROM model_version_tags t WHERE t.name = mv.name AND t.version = mv.version AND t.key = {key} AND {condition})"
            : $"EXISTS (SELECT 1 FROM registered_model_tags t WHERE t.name = rm.name AND t.key = {key} AND {condition})";
    }

    private string AttributeClause(Comparison clause)
    {
        var key = clause.Key.Key;
        return (versions, key) switch
        {
            (false, "name") => StringCondition("rm.name", clause, key, allowIn: false),
            (true, "name") => StringCondition("mv.name", clause, key, allowIn: false),
            (true, "run_id") => StringCondition("mv.run_id", clause, key, allowIn: true),
            (true, "source_path" or "source") => StringCondition("mv.source", clause, key, allowIn: false),
            (true, "version_number" or "version") => NumberCondition("mv.version", clause, key),
            _ => throw MlflowException.InvalidParameter(
                versions
                    ? $"Invalid attribute name '{key}' in filter. Valid attributes are 'name', 'run_id', 'source_path', 'version_number'."
                    : $"Invalid attribute name '{key}' in filter. Valid attributes are 'name'."),
        };
    }

    private string StringCondition(string column, Comparison clause, string field, bool allowIn)
    {
        if (clause.Comparator is Comparator.In or Comparator.NotIn)
        {
            if (!allowIn || clause.Value is not ListValue list || list.Values.Count == 0)
            {
                throw BadComparator(clause, field);
            }

            var names = list.Values.Select(Param).ToList();
            var op = clause.Comparator == Comparator.In ? "IN" : "NOT IN";
            return $"{column} {op} ({string.Join(", ", names)})";
        }

        if (clause.Value is not StringValue text)
        {
            throw MlflowException.InvalidParameter($"Invalid value for '{field}': expected a quoted string.");
        }

        return clause.Comparator switch
        {
            Comparator.Equal => $"{column} = {Param(text.Value)}",
            Comparator.NotEqual => $"{column} <> {Param(text.Value)}",
            Comparator.Like => dialect.Like(column, Param(dialect.LikePattern(text.Value))),
            Comparator.ILike => dialect.ILike(column, Param(dialect.ILikePattern(text.Value))),
            _ => throw BadComparator(clause, field),
        };
    }

    private string NumberCondition(string column, Comparison clause, string field)
    {
        if (clause.Value is not NumberValue number
            || !long.TryParse(number.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw MlflowException.InvalidParameter($"Invalid value for '{field}': expected an unquoted integer.");
        }

        var p = Param(value);
        var op = clause.Comparator switch
        {
            Comparator.Equal => "=",
            Comparator.NotEqual => "<>",
            Comparator.Greater => ">",
            Comparator.GreaterOrEqual => ">=",
            Comparator.Less => "<",
            Comparator.LessOrEqual => "<=",
            _ => throw BadComparator(clause, field),
        };
        return $"{column} {op} {p}";
    }

    private string Param(object value)
    {
        var name = "p" + _next++.ToString(CultureInfo.InvariantCulture);
        Parameters.Add(name, value);
        return "@" + name;
    }

    private static MlflowException BadComparator(Comparison clause, string field) =>
        MlflowException.InvalidParameter($"Invalid comparator '{clause.Comparator}' for '{field}'.");
}
