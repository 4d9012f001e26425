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
