using Dapper;
using Strata.Core.Registry;
using Strata.Storage.Database;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Migrations;
using Strata.Storage.Registry;

namespace Strata.Storage.Tests.Registry;

/// <summary>A fresh SQLite database in a temp directory with the schema applied, plus the registry on top of it.</summary>
internal sealed class RegistryFixture : IAsyncDisposable
{
    private readonly string? _dir;
    private readonly bool _ownsDatabase;

    private RegistryFixture(string? dir, IDatabase database, bool ownsDatabase = true)
    {
        _dir = dir;
        _ownsDatabase = ownsDatabase;
        Database = database;
        Store = new RegistryStore(database);
        Service = new RegistryService(Store, Tracking, Time);
    }

    public IDatabase Database { get; }

    public RegistryStore Store { get; }

    public InMemoryTrackingStore Tracking { get; } = new();

    public SteppingTimeProvider Time { get; } = new();

    public RegistryService Service { get; }

    /// <summary>The registry on a migrated, emptied database the caller keeps (and disposes) across tests.</summary>
    public static RegistryFixture OnSharedDatabase(IDatabase database) => new(null, database, ownsDatabase: false);

    public static async Task<RegistryFixture> CreateAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "strata-registry-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var database = await SqliteDatabase.OpenAsync(Path.Combine(dir, "strata.db"));
        await MigrateAsync(database);
        return new RegistryFixture(dir, database);
    }

    public Task<long> CountAsync(string sql, object? parameters = null) =>
        Database.ReadAsync((c, ct) => c.ExecuteScalarAsync<long>(new CommandDefinition(sql, parameters, cancellationToken: ct)), CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (_ownsDatabase)
        {
            await Database.DisposeAsync();
        }
        try
        {
            if (_dir is not null)
            {
                Directory.Delete(_dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private static Task MigrateAsync(IDatabase database) => new MigrationRunner(database).MigrateAsync(CancellationToken.None);
}
