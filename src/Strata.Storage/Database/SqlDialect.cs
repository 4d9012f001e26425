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
    /// Rows per INSERT of metric points (history and latest_metrics). More rows per statement means fewer
    /// round trips, which is what PostgreSQL wants (hundreds). Microsoft.Data.Sqlite binds every parameter
    /// by name on every execution and SQLite looks names up linearly, so there one row per statement,
    /// prepared once and re-executed, is fastest (measured: a 1-row command reused beat 5- to 200-row ones).
    /// </summary>
    public virtual int MetricRowsPerInsert => 500;

    /// <summary>
    /// Whether prepared insert commands may be cached per connection object and reused by later writes.
    /// True only where the same connection object lives long (SQLite's single writer); pooled PostgreSQL
    /// connections are new objects on every open, so a cache there would only grow.
    /// </summary>
    public virtual bool CachePreparedCommandsPerConnection => false;

    /// <summary><c>INSERT ... ON CONFLICT DO NOTHING</c> prefix/suffix is the same on both; kept for clarity.</summary>
    public virtual string OnConflictDoNothing(string conflictColumns) => $"ON CONFLICT ({conflictColumns}) DO NOTHING";

    /// <summary>
    /// A table expression with one column <c>value</c> holding the list bound to ONE parameter, aliased
    /// <paramref name="alias"/>, so long lists (sampled steps, the run ids of a page) neither hit the
    /// parameter limit nor pay per-parameter binding, and a join can drive index lookups from it. The
    /// bound value comes from <see cref="IntegerListValue"/> or <see cref="TextListValue"/>.
    /// SQLite: <c>json_each(@p) AS s</c> over a JSON array; PostgreSQL: <c>unnest(@p) AS s(value)</c> over a
    /// <c>bigint[]</c> / <c>text[]</c>.
    /// </summary>
    public abstract string ListTable(string parameter, string alias);

    /// <summary>The value to bind for a <see cref="ListTable"/> holding integers.</summary>
    public abstract object IntegerListValue(IReadOnlyCollection<long> values);

    /// <summary>The value to bind for a <see cref="ListTable"/> holding strings.</summary>
    public abstract object TextListValue(IReadOnlyCollection<string> values);

    /// <summary>Is this exception a unique-constraint violation?</summary>
    public abstract bool IsUniqueViolation(Exception ex);
}
