using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// One step of the schema, for both dialects. Versions are dense and ordered; each capability
/// adds its own file (<c>M0001_Tracking.cs</c>, <c>M0002_Registry.cs</c>, ...), found by reflection.
/// A migration never changes once released: fix forward with a new one.
/// </summary>
public interface IMigration
{
    int Version { get; }

    string Name { get; }

    /// <summary>The DDL/DML for the dialect; statements separated by ';' are fine.</summary>
    string Sql(SqlDialectKind dialect);
}

/// <summary>
/// A migration whose data is moved by code after its SQL, in as many transactions as it likes. The runner calls
/// <see cref="RunAsync"/> right after applying the SQL, and again at every later start (in version order, before
/// newer migrations), so the work must be idempotent and resumable: it keeps its own progress in the database
/// and returns at once when there is nothing left.
/// </summary>
public interface IDataMigration
{
    Task RunAsync(IDatabase database, Microsoft.Extensions.Logging.ILogger logger, CancellationToken ct);
}
