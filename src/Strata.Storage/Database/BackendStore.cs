using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Npgsql;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;

namespace Strata.Storage.Database;

/// <summary>
/// Opens the database named by a backend store URI (MLflow's <c>--backend-store-uri</c>) and
/// brings its schema up to date. Supported: <c>sqlite:///relative/path.db</c>,
/// <c>sqlite:////absolute/path.db</c>, and PostgreSQL in MLflow's forms
/// (<c>postgresql://user:password@host:5432/db</c>, <c>postgresql+psycopg2://...</c>) or as an Npgsql
/// connection string (see <see cref="PostgresConnectionUri"/>).
/// </summary>
public static class BackendStore
{
    public const string SqliteScheme = "sqlite://";

    public static async Task<IDatabase> OpenAsync(string uri, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        var database = await ConnectAsync(uri, loggers, ct).ConfigureAwait(false);
        try
        {
            await new MigrationRunner(database, loggers?.CreateLogger<MigrationRunner>()).MigrateAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return database;
    }

    /// <summary>
    /// Opens the database without touching its schema (<c>strata db upgrade</c> migrates it itself).
    /// A PostgreSQL server that cannot be reached is reported here, in one line without the password.
    /// </summary>
    public static async Task<IDatabase> ConnectAsync(string uri, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (uri.StartsWith(SqliteScheme, StringComparison.OrdinalIgnoreCase))
        {
            return await OpenSqliteAsync(SqlitePath(uri), loggers, ct).ConfigureAwait(false);
        }

        if (PostgresConnectionUri.IsPostgres(uri))
        {
            return await OpenPostgresAsync(uri, loggers, ct).ConfigureAwait(false);
        }

        throw new BackendStoreException($"Unsupported backend store URI '{Redact(uri)}': expected sqlite:///<path> or postgresql://<user>:<password>@<host>:<port>/<database>.");
    }

    /// <summary>The file path of a <c>sqlite:///</c> URI: three slashes mean relative, four absolute (SQLAlchemy's form).</summary>
    public static string SqlitePath(string uri)
    {
        if (!uri.StartsWith(SqliteScheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new BackendStoreException($"Not a SQLite URI: '{uri}'.");
        }

        var rest = uri[SqliteScheme.Length..];
        var query = rest.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            rest = rest[..query];
        }

        if (!rest.StartsWith('/') || rest.Length < 2)
        {
            throw new BackendStoreException($"Invalid SQLite URI '{uri}': expected sqlite:///<relative path> or sqlite:////<absolute path>.");
        }

        var path = Uri.UnescapeDataString(rest[1..]);
        if (path == ":memory:")
        {
            throw new BackendStoreException($"Invalid SQLite URI '{uri}': an in-memory database cannot be shared by the server's connections.");
        }

        return Path.GetFullPath(path);
    }

    private static async Task<IDatabase> OpenSqliteAsync(string path, ILoggerFactory? loggers, CancellationToken ct)
    {
        var directory = Path.GetDirectoryName(path);
        try
        {
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            return await SqliteDatabase.OpenAsync(path, loggers?.CreateLogger<SqliteDatabase>(), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw new BackendStoreException($"Cannot open the SQLite database '{path}': {FirstLine(ex.Message)}", ex);
        }
    }

    private static async Task<IDatabase> OpenPostgresAsync(string uri, ILoggerFactory? loggers, CancellationToken ct)
    {
        string connectionString;
        try
        {
            connectionString = PostgresConnectionUri.ToConnectionString(uri);
        }
        catch (FormatException ex)
        {
            throw new BackendStoreException($"Invalid PostgreSQL backend store URI: {FirstLine(ex.Message)}", ex);
        }

        var database = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = connectionString }, loggers?.CreateLogger<PostgresDatabase>());
        try
        {
            // Fail at start with a clear line rather than on the first request.
            await database.ReadAsync((c, token) => Task.FromResult(c.ServerVersion), ct).ConfigureAwait(false);
            return database;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw new BackendStoreException($"Cannot connect to PostgreSQL at {PostgresConnectionUri.Describe(connectionString)}: {FirstLine(ex.Message)}", ex);
        }
    }

    /// <summary>A URI fit for an error message: any password in it replaced.</summary>
    private static string Redact(string uri)
    {
        var scheme = uri.IndexOf("://", StringComparison.Ordinal);
        var at = uri.LastIndexOf('@');
        if (scheme < 0 || at < scheme)
        {
            return uri;
        }

        var colon = uri.IndexOf(':', scheme + 3);
        return colon >= 0 && colon < at ? uri[..(colon + 1)] + "***" + uri[at..] : uri;
    }

    private static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}

/// <summary>The backend store URI is wrong or its database cannot be opened. The message is one line, fit for a CLI.</summary>
public sealed class BackendStoreException(string message, Exception? inner = null) : Exception(message, inner);
