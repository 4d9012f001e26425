using System.Data.Common;

namespace Strata.Storage.Database;

/// <summary>
/// The one way stores talk to a relational backend. Reads run on pooled connections beside
/// writes; writes run inside a transaction the database owns. On SQLite writes are funnelled
/// through a single writer with group commit (see <see cref="Sqlite.SqliteDatabase"/>);
/// on PostgreSQL each write gets a pooled connection and a short transaction.
/// A write callback must not call <see cref="WriteAsync{T}"/> again (it would wait on itself).
/// </summary>
public interface IDatabase : IAsyncDisposable
{
    SqlDialect Dialect { get; }

    Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="work"/> atomically: either all of its statements commit or none do.
    /// The returned task completes only after the commit. On PostgreSQL a write that loses a
    /// serialization conflict is rolled back and <paramref name="work"/> runs again, so it must not
    /// change state it captured from outside (build new objects inside it instead).
    /// </summary>
    Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct);

    /// <summary>
    /// Runs <paramref name="work"/> while holding a lock named <paramref name="lockName"/> that every
    /// process using the same database respects, for work that must not run twice at once
    /// (migrations). PostgreSQL takes an advisory lock; the default suits a backend that one
    /// process owns (SQLite's single writer), where running the work is enough.
    /// </summary>
    Task<T> RunExclusiveAsync<T>(string lockName, Func<CancellationToken, Task<T>> work, CancellationToken ct) => work(ct);
}
