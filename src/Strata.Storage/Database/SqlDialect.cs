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

    /// <summary>Case-sensitive LIKE (MLflow's LIKE is case-sensitive on every backend).</summary>
    public abstract string Like(string column, string parameter);

    /// <summary>Case-insensitive LIKE.</summary>
    public abstract string ILike(string column, string parameter);

    /// <summary><c>INSERT ... ON CONFLICT DO NOTHING</c> prefix/suffix is the same on both; kept for clarity.</summary>
    public virtual string OnConflictDoNothing(string conflictColumns) => $"ON CONFLICT ({conflictColumns}) DO NOTHING";

    /// <summary>Is this exception a unique-constraint violation?</summary>
    public abstract bool IsUniqueViolation(Exception ex);
}
