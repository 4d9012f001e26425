using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;

namespace Strata.Storage.Database;

/// <summary>
/// Opens the database named by a backend store URI (MLflow's <c>--backend-store-uri</c>) and
/// brings its schema up to date. Supported: <c>sqlite:///relative/path.db</c> and
/// <c>sqlite:////absolute/path.db</c>.
/// </summary>
public static class BackendStore
{
    public const string SqliteScheme = "sqlite://";

    public static async Task<IDatabase> OpenAsync(string uri, ILoggerFactory? loggers = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        IDatabase database;
        if (uri.StartsWith(SqliteScheme, StringComparison.OrdinalIgnoreCase))
        {
            database = await OpenSqliteAsync(SqlitePath(uri), loggers, ct).ConfigureAwait(false);
        }
        else
        {
            throw new BackendStoreException($"Unsupported backend store URI '{uri}': expected sqlite:///<path>.");
        }

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

    private static string FirstLine(string message)
    {
        var newline = message.IndexOfAny(['\r', '\n']);
        return newline < 0 ? message : message[..newline];
    }
}

/// <summary>The backend store URI is wrong or its database cannot be opened. The message is one line, fit for a CLI.</summary>
public sealed class BackendStoreException(string message, Exception? inner = null) : Exception(message, inner);
