using Strata.Storage.Database;

namespace Strata.Storage.Migrations;

/// <summary>
/// Users, API tokens and permission grants (MLflow's basic-auth tables plus tokens and deployment grants). Tokens are
/// found by the SHA-256 of their secret (unique). Grants are keyed by (resource, user); the per-user index serves
/// "every grant of this user", which the permission cache loads in one read. <c>auth_state.version</c> is bumped by
/// every write so caches on every replica notice changes.
/// </summary>
public sealed class M0011_Auth : IMigration
{
    public int Version => 11;

    public string Name => "auth";

    public string Sql(SqlDialectKind dialect)
    {
        var text = dialect == SqlDialectKind.Postgres ? "TEXT COLLATE \"C\"" : "TEXT";
        return $"""
            CREATE TABLE auth_users (
                user_id BIGINT PRIMARY KEY,
                username {text} NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                is_admin INTEGER NOT NULL,
                creation_timestamp BIGINT NOT NULL
            );
            CREATE TABLE auth_tokens (
                token_id TEXT PRIMARY KEY,
                secret_hash TEXT NOT NULL UNIQUE,
                user_id BIGINT NOT NULL,
                name TEXT NOT NULL,
                deployment {text} NULL,
                creation_timestamp BIGINT NOT NULL,
                expiration_timestamp BIGINT NULL,
                revoked_timestamp BIGINT NULL
            );
            CREATE INDEX ix_auth_tokens_user ON auth_tokens (user_id, creation_timestamp);
            CREATE TABLE auth_experiment_permissions (
                experiment_id TEXT NOT NULL,
                user_id BIGINT NOT NULL,
                permission TEXT NOT NULL,
                PRIMARY KEY (experiment_id, user_id)
            );
            CREATE INDEX ix_auth_experiment_permissions_user ON auth_experiment_permissions (user_id);
            CREATE TABLE auth_registered_model_permissions (
                name {text} NOT NULL,
                user_id BIGINT NOT NULL,
                permission TEXT NOT NULL,
                PRIMARY KEY (name, user_id)
            );
            CREATE INDEX ix_auth_registered_model_permissions_user ON auth_registered_model_permissions (user_id);
            CREATE TABLE auth_deployment_permissions (
                name {text} NOT NULL,
                user_id BIGINT NOT NULL,
                permission TEXT NOT NULL,
                PRIMARY KEY (name, user_id)
            );
            CREATE INDEX ix_auth_deployment_permissions_user ON auth_deployment_permissions (user_id);
            CREATE TABLE auth_state (
                id INTEGER PRIMARY KEY,
                version BIGINT NOT NULL
            );
            INSERT INTO auth_state (id, version) VALUES (1, 1)
            """;
    }
}
