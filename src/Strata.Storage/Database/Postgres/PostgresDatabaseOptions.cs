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

    /// <summary>How many times a write that lost a serialization or deadlock conflict is re-run.</summary>
    public int MaxConflictRetries { get; init; } = 5;

    public IsolationLevel WriteIsolation { get; init; } = IsolationLevel.ReadCommitted;

    /// <summary>Seconds a command may run before the server cancels it.</summary>
    public int CommandTimeoutSeconds { get; init; } = 30;
}
