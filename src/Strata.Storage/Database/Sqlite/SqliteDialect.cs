using Microsoft.Data.Sqlite;

namespace Strata.Storage.Database.Sqlite;

public sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override SqlDialectKind Kind => SqlDialectKind.Sqlite;

    // SQLite's LIKE ignores ASCII case and PRAGMA case_sensitive_like is deprecated, so the
    // case-sensitive LIKE is a GLOB whose pattern is translated (see LikePattern). SQLite's LIKE has
    // no escape character unless ESCAPE is given, which is MLflow's semantics for ILIKE.
    public override string Like(string column, string parameter) => $"{column} GLOB {parameter}";

    public override string ILike(string column, string parameter) => $"lower({column}) LIKE lower({parameter})";

    public override int MaxParametersPerStatement => 32766;

    public override int MetricRowsPerInsert => 1;

    public override string ListTable(string parameter, string alias) => $"json_each({parameter}) AS {alias}";

    public override object IntegerListValue(IReadOnlyCollection<long> values) => "[" + string.Join(",", values) + "]";

    public override object TextListValue(IReadOnlyCollection<string> values) => System.Text.Json.JsonSerializer.Serialize(values);

    public override bool CachePreparedCommandsPerConnection => true;

    /// <summary>LIKE wildcards become GLOB wildcards; GLOB's own specials are bracketed so they stay literal.</summary>
    public override string LikePattern(string mlflowPattern)
    {
        var sb = new System.Text.StringBuilder(mlflowPattern.Length + 8);
        foreach (var ch in mlflowPattern)
        {
            sb.Append(ch switch
            {
                '%' => "*",
                '_' => "?",
                '*' => "[*]",
                '?' => "[?]",
                '[' => "[[]",
                _ => ch.ToString(),
            });
        }

        return sb.ToString();
    }

    public override bool IsUniqueViolation(Exception ex) =>
        ex is SqliteException { SqliteErrorCode: 19 } se && se.Message.Contains("UNIQUE", StringComparison.Ordinal);
}
