using System.CommandLine;
using Strata.Server.Hosting;
using Strata.Storage.Database;
using Strata.Storage.Migrations;

namespace Strata.Cli.Commands;

/// <summary>
/// <c>strata db upgrade</c>: applies pending schema migrations and exits, like <c>mlflow db upgrade</c>.
/// Safe beside running servers and other upgrades: migrations run under the database's lock
/// (a PostgreSQL advisory lock), so each is applied exactly once.
/// </summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var url = new Argument<string?>("url")
        {
            Description = "Database URI (MLflow's positional form); same as --backend-store-uri.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var backend = new Option<string?>("--backend-store-uri")
        {
            Description = $"Database URI, e.g. postgresql://user:password@host:5432/db or sqlite:///./mlflow.db (default {StrataServerOptions.DefaultBackendStoreUri}; env STRATA_BACKEND_STORE_URI).",
        };
        var upgrade = new Command("upgrade", "Apply the schema migrations this Strata knows and the database lacks.") { url, backend };
        upgrade.SetAction(async (parse, ct) =>
        {
            var positional = parse.GetValue(url);
            var flag = parse.GetValue(backend);
            if (positional is not null && flag is not null && positional != flag)
            {
                CliConsole.Error("give the database URI once: as the argument or as --backend-store-uri.");
                return ExitCodes.Configuration;
            }

            var uri = positional ?? flag ?? Environment.GetEnvironmentVariable("STRATA_BACKEND_STORE_URI") ?? StrataServerOptions.DefaultBackendStoreUri;
            return await UpgradeAsync(uri, ct).ConfigureAwait(false);
        });

        return new Command("db", "Manage the tracking database.") { upgrade };
    }

    private static async Task<int> UpgradeAsync(string uri, CancellationToken ct)
    {
        try
        {
            await using var database = await BackendStore.ConnectAsync(uri, ct: ct).ConfigureAwait(false);
            var runner = new MigrationRunner(database);
            var before = await CurrentVersionOrZeroAsync(runner, ct).ConfigureAwait(false);
            var applied = await runner.MigrateAsync(ct).ConfigureAwait(false);
            var after = await runner.CurrentVersionAsync(ct).ConfigureAwait(false);
            Console.WriteLine(applied == 0
                ? $"Database schema is up to date at version {after}."
                : $"Upgraded the database schema from version {before} to {after} ({applied} migration{(applied == 1 ? "" : "s")} applied).");
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is BackendStoreException or SchemaTooNewException)
        {
            CliConsole.Error(ex.Message);
            return ExitCodes.Configuration;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CliConsole.Error($"the upgrade failed: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>A database never migrated has no schema_migrations table yet: that is version 0.</summary>
    private static async Task<int> CurrentVersionOrZeroAsync(MigrationRunner runner, CancellationToken ct)
    {
        try
        {
            return await runner.CurrentVersionAsync(ct).ConfigureAwait(false);
        }
        catch (System.Data.Common.DbException)
        {
            return 0;
        }
    }
}
