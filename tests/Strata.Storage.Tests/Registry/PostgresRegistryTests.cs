using Dapper;
using Strata.Storage.Database.Postgres;
using Strata.Storage.Migrations;
using Strata.Storage.Tests.Postgres;

namespace Strata.Storage.Tests.Registry;

// The registry's store tests again on PostgreSQL 15. CREATE DATABASE costs ~0.7 s here, so the
// collection shares one migrated database and each test starts from emptied registry tables
// (tests in a collection run one at a time).

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresRegistryStoreTests(PostgresRegistryDatabases databases) : RegistryStoreTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresRegistryEventsTests(PostgresRegistryDatabases databases) : RegistryEventsTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresModelUriResolutionTests(PostgresRegistryDatabases databases) : ModelUriResolutionTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresRegistrySearchTests(PostgresRegistryDatabases databases) : RegistrySearchTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresRegistryConcurrencyTests(PostgresRegistryDatabases databases) : RegistryConcurrencyTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresWebhookStoreTests(PostgresRegistryDatabases databases) : Strata.Storage.Tests.Webhooks.WebhookStoreTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresPolicyStoreTests(PostgresRegistryDatabases databases) : Strata.Storage.Tests.Policies.PolicyStoreTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresAuthStoreTests(PostgresRegistryDatabases databases) : Strata.Storage.Tests.Auth.AuthStoreTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[Collection(PostgresRegistryCollection.Name)]
public sealed class PostgresJobConcurrencyPolicyTests(PostgresRegistryDatabases databases) : Strata.Storage.Tests.Jobs.JobConcurrencyPolicyTests
{
    private protected override Task<RegistryFixture> CreateFixtureAsync() => databases.CreateFixtureAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresRegistryCollection : ICollectionFixture<PostgresRegistryDatabases>
{
    public const string Name = "PostgreSQL registry";
}

/// <summary>A throwaway cluster for the registry tests with one migrated database, emptied before each test
/// (DELETE: on these few rows it is far cheaper than TRUNCATE's table rewrite).</summary>
public sealed class PostgresRegistryDatabases : IAsyncLifetime
{
    private readonly PostgresCluster _cluster = new();
    private PostgresDatabase? _database;

    public async Task InitializeAsync()
    {
        await _cluster.InitializeAsync();
        _database = PostgresDatabase.Create(new PostgresDatabaseOptions { ConnectionString = await _cluster.CreateDatabaseAsync() });
        await new MigrationRunner(_database).MigrateAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        await _cluster.DisposeAsync();
    }

    internal async Task<RegistryFixture> CreateFixtureAsync()
    {
        await _database!.WriteAsync(
            (c, tx, ct) => c.ExecuteAsync(new CommandDefinition(
                "DELETE FROM registered_models; DELETE FROM registry_events; " + // children go by ON DELETE CASCADE
                "DELETE FROM webhook_delivery_attempts; DELETE FROM webhook_deliveries; DELETE FROM webhook_events; DELETE FROM webhooks; " +
                "UPDATE webhook_dispatch_cursor SET last_event_id = COALESCE((SELECT MAX(id) FROM registry_events), 0); " +
                "DELETE FROM policy_decisions; DELETE FROM policies; UPDATE policy_cursor SET last_event_id = 0; " +
                "DELETE FROM auth_tokens; DELETE FROM auth_experiment_permissions; DELETE FROM auth_registered_model_permissions; " +
                "DELETE FROM auth_deployment_permissions; DELETE FROM auth_users; DELETE FROM job_executions; DELETE FROM jobs",
                transaction: tx, cancellationToken: ct)),
            CancellationToken.None);
        return RegistryFixture.OnSharedDatabase(_database);
    }
}
