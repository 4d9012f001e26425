using Strata.Storage.Database.Postgres;
using Strata.Storage.Tests.Registry;

namespace Strata.Storage.Tests.Postgres;

// The registry suites, run a second time on PostgreSQL: each test gets a fresh database in the run's cluster.

[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistryStoreTests(PostgresCluster cluster) : RegistryStoreTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => PostgresRegistry.CreateAsync(cluster);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistryEventsTests(PostgresCluster cluster) : RegistryEventsTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => PostgresRegistry.CreateAsync(cluster);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistrySearchTests(PostgresCluster cluster) : RegistrySearchTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => PostgresRegistry.CreateAsync(cluster);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresModelUriResolutionTests(PostgresCluster cluster) : ModelUriResolutionTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => PostgresRegistry.CreateAsync(cluster);
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresRegistryConcurrencyTests(PostgresCluster cluster) : RegistryConcurrencyTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => PostgresRegistry.CreateAsync(cluster);
}

internal static class PostgresRegistry
{
    public static async Task<RegistryFixture> CreateAsync(PostgresCluster cluster) =>
        await RegistryFixture.CreateAsync(PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = await cluster.CreateDatabaseAsync() }));
}
