using Strata.Storage.Database;
using Strata.Storage.Migrations;

namespace Strata.Bench.Registry;

internal static class Schema
{
    public static Task ApplyAsync(IDatabase database) => new MigrationRunner(database).MigrateAsync(CancellationToken.None);
}
