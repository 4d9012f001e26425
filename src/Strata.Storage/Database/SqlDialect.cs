namespace Strata.Storage.Database;

public enum SqlDialectKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The SQL that differs between SQLite and PostgreSQL, kept in one place per dialect so the
/// stores above it share every query.
/// </summary>
public abstract class SqlDialect
{
    public abstract SqlDialectKind Kind { get; }

    /// <summary>
    /// Case-sensitive LIKE (MLflow's LIKE is case-sensitive on every backend). The parameter's
    /// value is the pattern after <see cref="LikePattern"/>. MLflow's LIKE has no escape character:
    /// <c>%</c> and <c>_</c> are the only wildcards and every other character is literal.
    /// </summary>
    public abstract string Like(string column, string parameter);

    /// <summary>Case-insensitive LIKE; the parameter's value is the pattern after <see cref="ILikePattern"/>.</summary>
    public abstract string ILike(string column, string parameter);

    /// <summary>
    /// Turns an MLflow LIKE pattern into the value bound for <see cref="Like"/>. SQLite translates it to a
    /// GLOB pattern; PostgreSQL must neutralise its default escape character (double each backslash, or
    /// emit <c>LIKE ... ESCAPE ''</c> in <see cref="Like"/> and return the pattern unchanged).
    /// </summary>
    public virtual string LikePattern(string mlflowPattern) => mlflowPattern;

    /// <summary>The value bound for <see cref="ILike"/>; same escape rule as <see cref="LikePattern"/>.</summary>
    public virtual string ILikePattern(string mlflowPattern) => mlflowPattern;

    /// <summary>
    /// Most bind parameters one statement may carry (SQLite's SQLITE_MAX_VARIABLE_NUMBER is 32766;
    /// PostgreSQL's wire protocol allows 65535). Multi-row inserts and IN lists are chunked below it.
    /// </summary>
    public abstract int MaxParametersPerStatement { get; }

    /// <summary>
    /// Rows per multi-row INSERT of metric points: the sweet spot between fewer statements and the
    /// cost of binding many parameters (SQLite looks names up linearly, so very wide statements slow down).
    /// </summary>
    public virtual int MetricRowsPerInsert => 100;

    /// <summary><c>INSERT ... ON CONFLICT DO NOTHING</c> prefix/suffix is the same on both; kept for clarity.</summary>
    public virtual string OnConflictDoNothing(string conflictColumns) => $"ON CONFLICT ({conflictColumns}) DO NOTHING";

    /// <summary>Is this exception a unique-constraint violation?</summary>
    public abstract bool IsUniqueViolation(Exception ex);
}
