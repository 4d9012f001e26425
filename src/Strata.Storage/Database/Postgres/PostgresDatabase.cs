using System.Data.Common;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Strata.Storage.Database.Postgres;

/// <summary>
/// PostgreSQL needs no write funnel: reads and writes each borrow a pooled connection, and every
/// write is one short transaction. A write that loses a serialization or deadlock conflict is
/// rolled back by the server and re-run whole, a bounded number of times, so the callback must
/// be safe to run again (it only touches the database through the connection it is given).
/// </summary>
public sealed class PostgresDatabase : IDatabase
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresDatabaseOptions _options;
    private readonly string _unpooledConnectionString;
    private readonly ILogger _logger;

    private PostgresDatabase(NpgsqlDataSource dataSource, PostgresDatabaseOptions options, string unpooledConnectionString, ILogger logger)
    {
        _dataSource = dataSource;
        _options = options;
        _unpooledConnectionString = unpooledConnectionString;
        _logger = logger;
    }

    public SqlDialect Dialect => PostgresDialect.Instance;

    /// <summary>The pool, for callers that need Npgsql-only features (binary COPY, LISTEN).</summary>
    public NpgsqlDataSource DataSource => _dataSource;

    public static PostgresDatabase Create(PostgresDatabaseOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var poolSize = options.MaxPoolSize ?? ExplicitPoolSize(options.ConnectionString) ?? PostgresDatabaseOptions.DefaultMaxPoolSize;
        if (poolSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), poolSize, "MaxPoolSize must be at least 1.");
        }

        if (options.MaxConflictRetries < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxConflictRetries, "MaxConflictRetries must not be negative.");
        }

        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            MaxPoolSize = poolSize,
            CommandTimeout = options.CommandTimeoutSeconds,
        };
        if (builder.MinPoolSize > builder.MaxPoolSize)
        {
            builder.MinPoolSize = builder.MaxPoolSize;
        }

        // Locks that span other work get their own connection outside the pool, so holding one
        // can never starve the pool the guarded work needs.
        var unpooled = new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Pooling = false };
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        return new PostgresDatabase(dataSource, options, unpooled.ConnectionString, logger ?? NullLogger.Instance);
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        await using var connection = new PostgresConnection(await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false));
        return await work(connection, ct).ConfigureAwait(false);
    }

    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = new PostgresConnection(await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false));
                await using var tx = await connection.BeginTransactionAsync(_options.WriteIsolation, ct).ConfigureAwait(false);
                var result = await work(connection, tx, ct).ConfigureAwait(false);

                // Not cancellable: once the work is done, abandoning the commit half-way would leave
                // the caller unsure whether it happened.
                await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                return result;
            }
            catch (Exception ex) when (attempt < _options.MaxConflictRetries && PostgresErrors.IsRetryableConflict(ex))
            {
                _logger.LogDebug(ex, "Write lost a transaction conflict ({SqlState}); retrying, attempt {Attempt}", PostgresErrors.Find(ex)?.SqlState, attempt + 1);
            }

            await Task.Delay(Backoff(attempt), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Holds a session-level advisory lock named after <paramref name="lockName"/> while
    /// <paramref name="work"/> runs, so replicas sharing the database take turns.
    /// </summary>
    public async Task<T> RunExclusiveAsync<T>(string lockName, Func<CancellationToken, Task<T>> work, CancellationToken ct)
    {
        var key = AdvisoryLockKey(lockName);
        await using var connection = new NpgsqlConnection(_unpooledConnectionString);
        await connection.OpenAsync(ct).ConfigureAwait(false);
        await using (var acquire = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection))
        {
            acquire.Parameters.AddWithValue(key);
            acquire.CommandTimeout = 0; // waiting for another replica's migration is expected
            await acquire.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        try
        {
            return await work(ct).ConfigureAwait(false);
        }
        finally
        {
            // Closing the session would release it too; unlocking keeps that explicit.
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            release.Parameters.AddWithValue(key);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>The pool size the connection string sets itself, if it does (Npgsql's builder reports its default otherwise).</summary>
    private static int? ExplicitPoolSize(string connectionString)
    {
        // Npgsql's builder writes back only the keywords that were given, under their canonical names.
        var canonical = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new DbConnectionStringBuilder { ConnectionString = canonical.ConnectionString };
        return given.ContainsKey("Maximum Pool Size") ? canonical.MaxPoolSize : null;
    }

    /// <summary>A stable 64-bit key: every replica and version of Strata must derive the same one.</summary>
    internal static long AdvisoryLockKey(string lockName) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes("strata:" + lockName)));

    /// <summary>Exponential up to 200 ms, half of it random so writers that collided do not collide again in step.</summary>
    private static TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(5 << Math.Min(attempt, 6), 200);
        return TimeSpan.FromMilliseconds((ceiling / 2) + Random.Shared.Next(0, (ceiling / 2) + 1));
    }
}
