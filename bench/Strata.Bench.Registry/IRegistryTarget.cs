namespace Strata.Bench.Registry;

/// <summary>What the benchmark drives: the store in-process, or a running server over HTTP.</summary>
internal interface IRegistryTarget : IAsyncDisposable
{
    string Description { get; }

    Task CreateModelAsync(string name);

    Task CreateVersionAsync(string name, string source, string runId);

    Task SetAliasAsync(string name, string alias, long version);

    /// <summary>Returns how many versions came back.</summary>
    Task<int> SearchVersionsAsync(string? filter, int maxResults);

    Task<long> GetByAliasAsync(string name, string alias);
}
