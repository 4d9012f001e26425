using Strata.Storage.Database;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;

namespace Strata.Storage.Tests.Tracking;

/// <summary>
/// Creates a fresh, migrated database for one test class. The tracking tests are written against
/// <see cref="IDatabaseFixture"/> so that a PostgreSQL implementation can run the same classes:
/// derive from <see cref="TrackingStoreTests{TFixture}"/> (and the other generic test classes) with it.
/// </summary>
public interface IDatabaseFixture : IAsyncLifetime
{
    IDatabase Database { get; }
}

/// <summary>A temp SQLite file, migrated, deleted on dispose.</summary>
public sealed class SqliteDatabaseFixture : IDatabaseFixture
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "strata-tests-" + Guid.NewGuid().ToString("N"));
    private SqliteDatabase? _database;

    public IDatabase Database => _database ?? throw new InvalidOperationException("Fixture not initialised.");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _database = await SqliteDatabase.OpenAsync(Path.Combine(_dir, "strata.db"));
        await new MigrationRunner(_database).MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A file still mapped by the OS; the temp dir is cleaned eventually.
        }
    }
}
