using Microsoft.Data.Sqlite;

namespace Strata.Storage.Database.Sqlite;

public sealed class SqliteDialect : SqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public override SqlDialectKind Kind => SqlDialectKind.Sqlite;

    // GLOB is case-sensitive but has other wildcards, so LIKE is made case-sensitive per
    // connection (PRAGMA case_sensitive_like) and ILIKE lowers both sides.
    public override string Like(string column, string parameter) => $"{column} LIKE {parameter}";

    public override string ILike(string column, string parameter) => $"lower({column}) LIKE lower({parameter})";

    public override bool IsUniqueViolation(Exception ex) =>
        ex is SqliteException { SqliteErrorCode: 19 } se && se.Message.Contains("UNIQUE", StringComparison.Ordinal);
}
