using Dapper;
using Strata.Storage.Database;
using Strata.Storage.Migrations;

namespace Strata.Bench.Registry;

internal static class Schema
{
    // Until M0001 (tracking) is merged, MigrationRunner refuses the gapped list; apply the registry step alone.
    public static Task ApplyAsync(IDatabase database) =>
        database.WriteAsync(async (c, tx, ct) =>
        {
            foreach (var statement in new M0002_Registry().Sql(database.Dialect.Kind).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await c.ExecuteAsync(new CommandDefinition(statement, transaction: tx, cancellationToken: ct));
            }

            return 0;
        }, CancellationToken.None);
}
