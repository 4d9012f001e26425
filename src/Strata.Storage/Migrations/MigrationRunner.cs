using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>Applies the ordered migrations not yet applied, each in its own transaction.</summary>
public sealed class MigrationRunner(IDatabase database, ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly IReadOnlyList<IMigration> _migrations = All;

    /// <summary>Runs a given list instead of the discovered one (tests of the runner itself).</summary>
    internal MigrationRunner(IDatabase database, IReadOnlyList<IMigration> migrations, ILogger? logger = null)
        : this(database, logger) => _migrations = migrations;

    public static IReadOnlyList<IMigration> All { get; } = Discover();

    public static int LatestVersion => All.Count == 0 ? 0 : All[^1].Version;

    /// <summary>
    /// Brings the schema up to date. Refuses a database whose schema is newer than this code knows.
    /// Runs under the database's exclusive lock, so replicas starting together against an empty
    /// database migrate it once: the others wait, then find nothing left to apply.
    /// </summary>
    public Task<int> MigrateAsync(CancellationToken ct) =>
        database.RunExclusiveAsync("schema-migrations", MigrateUnderLockAsync, ct);

    private async Task<int> MigrateUnderLockAsync(CancellationToken ct)
    {
        await database.WriteAsync(
            async (c, tx, token) => await c.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
                transaction: tx, cancellationToken: token)).ConfigureAwait(false),
            ct).ConfigureAwait(false);

        var current = await CurrentVersionAsync(ct).ConfigureAwait(false);
        var latest = _migrations.Count == 0 ? 0 : _migrations[^1].Version;
        if (current > latest)
        {
            throw new SchemaTooNewException(current, latest);
        }

        var applied = 0;
        var recorded = (await database.ReadAsync(
            async (DbConnection c, CancellationToken token) =>
                await c.QueryAsync<int>(new CommandDefinition("SELECT version FROM schema_migrations", cancellationToken: token)).ConfigureAwait(false),
            ct).ConfigureAwait(false)).ToHashSet();

        // In version order: an applied migration's data move finishes (or finds nothing left) before anything newer
        // runs; one not yet applied runs even when a newer one is recorded (versions are handed out per branch, so a
        // merge can bring in a lower one later).
        foreach (var migration in _migrations)
        {
            if (recorded.Contains(migration.Version))
            {
                if (migration is IDataMigration data)
                {
                    await data.RunAsync(database, _logger, ct).ConfigureAwait(false);
                }

                continue;
            }

            ct.ThrowIfCancellationRequested();
            var appliedNow = await database.WriteAsync(
                async (c, tx, token) =>
                {
                    // Re-check inside the transaction: another replica may have applied it.
                    var done = await c.ExecuteScalarAsync<long?>(new CommandDefinition(
                        "SELECT version FROM schema_migrations WHERE version = @v", new { v = migration.Version }, tx, cancellationToken: token)).ConfigureAwait(false);
                    if (done is not null)
                    {
                        return 0;
                    }

                    foreach (var statement in SplitStatements(migration.Sql(database.Dialect.Kind)))
                    {
                        await c.ExecuteAsync(new CommandDefinition(statement, transaction: tx, cancellationToken: token)).ConfigureAwait(false);
                    }

                    await c.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)",
                        new { v = migration.Version, n = migration.Name, t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                        tx, cancellationToken: token)).ConfigureAwait(false);
                    return 1;
                },
                ct).ConfigureAwait(false);
            if (appliedNow == 1)
            {
                _logger.LogInformation("Applied schema migration {Version} {Name}", migration.Version, migration.Name);
                applied++;
            }

            if (migration is IDataMigration moves)
            {
                await moves.RunAsync(database, _logger, ct).ConfigureAwait(false);
            }
        }

        return applied;
    }

    public Task<int> CurrentVersionAsync(CancellationToken ct) =>
        database.ReadAsync(
            async (DbConnection c, CancellationToken token) =>
                await c.ExecuteScalarAsync<int?>(new CommandDefinition("SELECT MAX(version) FROM schema_migrations", cancellationToken: token)).ConfigureAwait(false) ?? 0,
            ct);

    internal static IEnumerable<string> SplitStatements(string sql) =>
        sql.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
           .Where(s => s.Length > 0);

    private static List<IMigration> Discover()
    {
        var migrations = typeof(MigrationRunner).Assembly.GetTypes()
            .Where(t => typeof(IMigration).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IMigration)Activator.CreateInstance(t)!)
            .OrderBy(m => m.Version)
            .ToList();
        // Versions are handed out ahead, one per branch of work, so a build may lack some (a gap) until they merge;
        // two migrations claiming one version is the mistake to refuse.
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version < 1 || (i > 0 && migrations[i].Version == migrations[i - 1].Version))
            {
                throw new InvalidOperationException($"Migration versions must be positive and unique; found {migrations[i].Version} twice or out of range.");
            }
        }

        return migrations;
    }
}

public sealed class SchemaTooNewException(int databaseVersion, int codeVersion)
    : Exception($"The database schema is at version {databaseVersion}, newer than this Strata knows ({codeVersion}). Upgrade Strata.")
{
    public int DatabaseVersion { get; } = databaseVersion;

    public int CodeVersion { get; } = codeVersion;
}
