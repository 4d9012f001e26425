using Dapper;
using Npgsql;
using Strata.Storage.Migrations;
using Strata.Storage.Tests.Postgres;

namespace Strata.Cli.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class DbUpgradeTests(PostgresCluster cluster)
{
    [Fact]
    public async Task Upgrade_migrates_an_empty_database_then_reports_it_up_to_date()
    {
        var uri = await NewDatabaseUriAsync();

        var (exitCode, stdout, stderr) = await CliProcess.RunAsync("db", "upgrade", "--backend-store-uri", uri);
        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"from version 0 to {MigrationRunner.LatestVersion}", stdout, StringComparison.Ordinal);

        var (again, stdoutAgain, _) = await CliProcess.RunAsync("db", "upgrade", uri);
        Assert.Equal(0, again);
        Assert.Contains($"up to date at version {MigrationRunner.LatestVersion}", stdoutAgain, StringComparison.Ordinal);
        Assert.Equal(MigrationRunner.All.Select(m => m.Version), await AppliedVersionsAsync(uri));
    }

    [Fact]
    public async Task Concurrent_upgrades_apply_each_migration_once()
    {
        var uri = await NewDatabaseUriAsync();
        var processes = Enumerable.Range(0, 3).Select(_ => CliProcess.Start(["db", "upgrade", "--backend-store-uri", uri])).ToList();
        try
        {
            var exits = await Task.WhenAll(processes.Select(p => p.WaitForExitAsync(TimeSpan.FromSeconds(60))));
            Assert.All(exits.Zip(processes), e => Assert.True(e.First == 0, e.Second.Stderr));
            Assert.Single(processes, p => p.Stdout.Contains("Upgraded", StringComparison.Ordinal));
            Assert.Equal(2, processes.Count(p => p.Stdout.Contains("up to date", StringComparison.Ordinal)));
            Assert.Equal(MigrationRunner.All.Select(m => m.Version), await AppliedVersionsAsync(uri));
        }
        finally
        {
            processes.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task Unreachable_server_is_a_one_line_error_without_the_password()
    {
        // Port 1 on loopback refuses at once.
        var (exitCode, _, stderr) = await CliProcess.RunAsync("db", "upgrade", "--backend-store-uri", "postgresql://strata:s3cret-pw@127.0.0.1:1/strata");
        Assert.Equal(2, exitCode);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("Cannot connect to PostgreSQL", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_uri_is_a_one_line_error_without_the_password()
    {
        var (exitCode, _, stderr) = await CliProcess.RunAsync("db", "upgrade", "postgresql+psycopg2://strata:s3cret-pw@db:notaport/strata");
        Assert.Equal(2, exitCode);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("s3cret-pw", stderr, StringComparison.Ordinal);
    }

    private async Task<string> NewDatabaseUriAsync()
    {
        var b = new NpgsqlConnectionStringBuilder(await cluster.CreateDatabaseAsync());
        return $"postgresql+psycopg2://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
    }

    private static async Task<List<int>> AppliedVersionsAsync(string uri)
    {
        await using var c = new NpgsqlConnection(Strata.Storage.Database.Postgres.PostgresConnectionUri.ToConnectionString(uri));
        return (await c.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
    }
}
