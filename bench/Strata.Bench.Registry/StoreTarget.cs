using Strata.Core.Registry;
using Strata.Core.Search;
using Strata.Storage.Database;
using Strata.Storage.Database.Sqlite;
using Strata.Storage.Registry;

namespace Strata.Bench.Registry;

/// <summary>The registry store in-process on a fresh SQLite file with the schema applied.</summary>
internal sealed class StoreTarget : IRegistryTarget
{
    private readonly string _dir;
    private readonly IDatabase _database;
    private readonly RegistryStore _store;

    private StoreTarget(string dir, IDatabase database)
    {
        _dir = dir;
        _database = database;
        _store = new RegistryStore(database);
    }

    public string Description => "RegistryStore in-process, SQLite (WAL, group commit)";

    public static async Task<StoreTarget> CreateAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "strata-bench-registry-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var database = await SqliteDatabase.OpenAsync(Path.Combine(dir, "bench.db"));
        await Schema.ApplyAsync(database);
        return new StoreTarget(dir, database);
    }

    public Task CreateModelAsync(string name) =>
        _store.CreateRegisteredModelAsync(new NewRegisteredModel(name, null, [], null), Write(), CancellationToken.None);

    public Task CreateVersionAsync(string name, string source, string runId) =>
        _store.CreateModelVersionAsync(new NewModelVersion(name, source, runId, null, null, [], null, null), Write(), CancellationToken.None);

    public Task SetAliasAsync(string name, string alias, long version) =>
        _store.SetAliasAsync(name, alias, version, Write(), CancellationToken.None);

    public async Task<int> SearchVersionsAsync(string? filter, int maxResults)
    {
        var query = new ModelVersionQuery(SearchFilterParser.Parse(filter, SearchTarget.ModelVersions), [], maxResults, null);
        return (await _store.SearchModelVersionsAsync(query, CancellationToken.None)).Items.Count;
    }

    public async Task<long> GetByAliasAsync(string name, string alias) =>
        (await _store.GetModelVersionByAliasAsync(name, alias, CancellationToken.None))!.Version;

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static RegistryWrite Write() => new(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "bench");
}
