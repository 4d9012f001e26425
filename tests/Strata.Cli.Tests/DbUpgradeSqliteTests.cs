namespace Strata.Cli.Tests;

public sealed class DbUpgradeSqliteTests
{
    [Fact]
    public async Task Upgrade_creates_and_migrates_a_sqlite_database()
    {
        var directory = Directory.CreateTempSubdirectory("strata-db-").FullName;
        try
        {
            var (exitCode, stdout, stderr) = await CliProcess.RunAsync("db", "upgrade", "--backend-store-uri", $"sqlite:///{directory}/strata.db");
            Assert.True(exitCode == 0, stderr);
            Assert.Contains("Upgraded the database schema from version 0", stdout, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(directory, "strata.db")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Help_lists_db_upgrade()
    {
        var (exitCode, stdout, _) = await CliProcess.RunAsync("db", "upgrade", "--help");
        Assert.Equal(0, exitCode);
        Assert.Contains("--backend-store-uri", stdout, StringComparison.Ordinal);
    }
}
