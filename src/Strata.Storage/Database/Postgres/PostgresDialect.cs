using Npgsql;

namespace Strata.Storage.Database.Postgres;

public sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override SqlDialectKind Kind => SqlDialectKind.Postgres;

    // PostgreSQL's LIKE is already case-sensitive and ILIKE is native, so neither side needs lower().
    public override string Like(string column, string parameter) => $"{column} LIKE {parameter}";

    public override string ILike(string column, string parameter) => $"{column} ILIKE {parameter}";

    public override bool IsUniqueViolation(Exception ex) => PostgresErrors.Find(ex)?.SqlState == PostgresErrorCodes.UniqueViolation;
}
