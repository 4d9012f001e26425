using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Server-side signing keys, one per purpose (the HMAC key of multipart part URLs): random, created once by whichever
/// replica needs it first and read by every other, so a URL signed by one replica is honoured by all and outlives a
/// restart.
/// </summary>
public sealed class M0018_SigningKeys : IMigration
{
    public int Version => 18;

    public string Name => "signing_keys";

    public string Sql(SqlDialectKind dialect) => """
        CREATE TABLE auth_signing_keys (
            purpose TEXT PRIMARY KEY,
            key_value TEXT NOT NULL,
            creation_timestamp BIGINT NOT NULL
        )
        """;
}
