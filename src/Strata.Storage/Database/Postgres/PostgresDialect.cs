using Npgsql;

namespace Strata.Storage.Database.Postgres;

public sealed class PostgresDialect : SqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public override SqlDialectKind Kind => SqlDialectKind.Postgres;

    // PostgreSQL's LIKE is case-sensitive and ILIKE is native. Both treat '\' as an escape by
    // default; MLflow's patterns have no escape character, so ESCAPE '' makes every character
    // other than % and _ literal and the pattern is bound unchanged.
    public override string Like(string column, string parameter) => $"{column} LIKE {parameter} ESCAPE ''";

    public override string ILike(string column, string parameter) => $"{column} ILIKE {parameter} ESCAPE ''";

    /// <summary>The wire protocol counts a statement's parameters in 16 bits: 65535 at most.</summary>
    public override int MaxParametersPerStatement => 65535;

    public override string ListTable(string parameter, string alias) => $"unnest({parameter}) AS {alias}(value)";

    /// <summary>
    /// A <c>long[]</c>, which Npgsql binds as one <c>bigint[]</c>. Callers bind it through an
    /// <c>object</c>-typed member, so Dapper passes it through instead of expanding it as a list.
    /// </summary>
    public override object IntegerListValue(IReadOnlyCollection<long> values) => values.ToArray();

    /// <summary>A <c>string[]</c>, bound as one <c>text[]</c> (see <see cref="IntegerListValue"/>).</summary>
    public override object TextListValue(IReadOnlyCollection<string> values) => values.ToArray();

    public override bool IsUniqueViolation(Exception ex) => PostgresErrors.Find(ex)?.SqlState == PostgresErrorCodes.UniqueViolation;
}
