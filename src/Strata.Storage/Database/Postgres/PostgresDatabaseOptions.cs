using System.Data;

namespace Strata.Storage.Database.Postgres;

public sealed record PostgresDatabaseOptions
{
    /// <summary>An Npgsql connection string (see <see cref="PostgresConnectionUri"/> for the URI forms).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Pool size when neither the options nor the connection string name one.</summary>
    public const int DefaultMaxPoolSize = 20;

    /// <summary>
    /// Connections this process keeps at most; every replica has its own pool. Null takes the
    /// connection string's <c>Maximum Pool Size</c> if it has one, else <see cref="DefaultMaxPoolSize"/>
    /// (Npgsql's own default of 100 is too many once several replicas share one server).
    /// </summary>
    public int? MaxPoolSize { get; init; }

    /// <summary>
    /// How many times a write that lost a serialization or deadlock conflict is re-run. One of any
    /// two conflicting transactions always commits, so retries converge; the budget is generous
    /// because many writers on one run's latest metrics conflict often (backoff caps at 200 ms).
    /// </summary>
    public int MaxConflictRetries { get; init; } = 50;

    /// <summary>
    /// SERIALIZABLE by default: the stores are written for SQLite, whose single writer runs writes
    /// one after another, and read-then-write steps (is this param already logged? append to the
    /// model history tag) rely on that. Serializable transactions keep that promise on PostgreSQL; a
    /// write that would break it fails with 40001 and is re-run. READ COMMITTED lets such races
    /// surface as duplicate-key errors or lost appends.
    /// </summary>
    public IsolationLevel WriteIsolation { get; init; } = IsolationLevel.Serializable;

    /// <summary>Seconds a command may run before the server cancels it.</summary>
    public int CommandTimeoutSeconds { get; init; } = 30;
}
