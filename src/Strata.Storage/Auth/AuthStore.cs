using System.Data.Common;
using Dapper;
using Strata.Core.Auth;
using Strata.Core.Errors;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Registry;
using static Strata.Storage.Auth.AuthRows;

namespace Strata.Storage.Auth;

/// <summary><see cref="IAuthStore"/> on SQLite or PostgreSQL; the grant tables are in <c>AuthStore.Grants.cs</c>.</summary>
public sealed partial class AuthStore(IDatabase database) : IAuthStore
{
    public Task<long> GetVersionAsync(CancellationToken ct) =>
        database.ReadAsync((c, token) => c.ExecuteScalarAsync<long>(Cmd("SELECT version FROM auth_state WHERE id = 1", null, null, token)), ct);

    public async Task<AuthUser> CreateUserAsync(string username, string passwordHash, bool isAdmin, long now, CancellationToken ct)
    {
        try
        {
            return await database.WriteAsync(async (c, tx, token) =>
            {
                var id = await c.ExecuteScalarAsync<long>(Cmd("SELECT COALESCE(MAX(user_id), 0) + 1 FROM auth_users", null, tx, token)).ConfigureAwait(false);
                await c.ExecuteAsync(Cmd(
                    "INSERT INTO auth_users (user_id, username, password_hash, is_admin, creation_timestamp) VALUES (@id, @username, @passwordHash, @admin, @now)",
                    new { id, username, passwordHash, admin = isAdmin ? 1 : 0, now }, tx, token)).ConfigureAwait(false);
                await BumpAsync(c, tx, token).ConfigureAwait(false);
                return new AuthUser(id, username, isAdmin, now);
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            throw MlflowException.AlreadyExists($"User '{username}' already exists.");
        }
    }

    public Task<AuthUser?> GetUserAsync(string username, CancellationToken ct) =>
        database.ReadAsync(async (c, token) => (await c.QuerySingleOrDefaultAsync<UserRow>(Cmd(
            $"SELECT {UserColumns} FROM auth_users WHERE username = @username", new { username }, null, token)).ConfigureAwait(false))?.ToUser(), ct);

    public Task<AuthUserSecret?> GetUserSecretAsync(string username, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<UserRow>(Cmd(
                $"SELECT {UserColumns}, password_hash AS PasswordHash FROM auth_users WHERE username = @username", new { username }, null, token)).ConfigureAwait(false);
            return row is null ? null : new AuthUserSecret(row.ToUser(), row.PasswordHash!);
        }, ct);

    public Task<Page<AuthUser>> ListUsersAsync(int maxResults, string? pageToken, CancellationToken ct)
    {
        var offset = OffsetPageToken.Decode(pageToken);
        return database.ReadAsync(async (c, token) =>
        {
            var rows = (await c.QueryAsync<UserRow>(Cmd(
                $"SELECT {UserColumns} FROM auth_users ORDER BY username LIMIT @limit OFFSET @offset",
                new { limit = maxResults + 1L, offset }, null, token)).ConfigureAwait(false)).ToList();
            var more = rows.Count > maxResults;
            var users = (more ? rows.GetRange(0, maxResults) : rows).Select(r => r.ToUser()).ToList();
            return new Page<AuthUser>(users, more ? OffsetPageToken.Encode(offset + maxResults) : null);
        }, ct);
    }

    public Task<bool> UpdatePasswordAsync(string username, string passwordHash, CancellationToken ct) =>
        ExecuteAndBumpAsync("UPDATE auth_users SET password_hash = @passwordHash WHERE username = @username", new { username, passwordHash }, ct);

    public Task<bool> UpdateAdminAsync(string username, bool isAdmin, CancellationToken ct) =>
        ExecuteAndBumpAsync("UPDATE auth_users SET is_admin = @admin WHERE username = @username", new { username, admin = isAdmin ? 1 : 0 }, ct);

    public Task<bool> DeleteUserAsync(string username, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var id = await c.QuerySingleOrDefaultAsync<long?>(Cmd("SELECT user_id FROM auth_users WHERE username = @username", new { username }, tx, token)).ConfigureAwait(false);
            if (id is null)
            {
                return false;
            }

            foreach (var table in (string[])["auth_tokens", "auth_experiment_permissions", "auth_registered_model_permissions", "auth_deployment_permissions", "auth_users"])
            {
                await c.ExecuteAsync(Cmd($"DELETE FROM {table} WHERE user_id = @id", new { id }, tx, token)).ConfigureAwait(false);
            }

            await BumpAsync(c, tx, token).ConfigureAwait(false);
            return true;
        }, ct);

    public Task<string> GetOrCreateSigningKeyAsync(string purpose, string candidate, long now, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            await c.ExecuteAsync(Cmd(
                "INSERT INTO auth_signing_keys (purpose, key_value, creation_timestamp) VALUES (@purpose, @candidate, @now) ON CONFLICT (purpose) DO NOTHING",
                new { purpose, candidate, now }, tx, token)).ConfigureAwait(false);
            return await c.ExecuteScalarAsync<string?>(Cmd("SELECT key_value FROM auth_signing_keys WHERE purpose = @purpose", new { purpose }, tx, token)).ConfigureAwait(false)
                ?? candidate;
        }, ct);

    public Task<int> CountAdminsAsync(CancellationToken ct) =>
        database.ReadAsync((c, token) => c.ExecuteScalarAsync<int>(Cmd("SELECT COUNT(*) FROM auth_users WHERE is_admin <> 0", null, null, token)), ct);

    public Task<ApiToken> CreateTokenAsync(string id, string secretHash, long userId, string name, string? deployment, long now, long? expiresAt, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            await c.ExecuteAsync(Cmd(
                """
                INSERT INTO auth_tokens (token_id, secret_hash, user_id, name, deployment, creation_timestamp, expiration_timestamp, revoked_timestamp)
                VALUES (@id, @secretHash, @userId, @name, @deployment, @now, @expiresAt, NULL)
                """,
                new { id, secretHash, userId, name, deployment, now, expiresAt }, tx, token)).ConfigureAwait(false);
            await BumpAsync(c, tx, token).ConfigureAwait(false);
            var row = await c.QuerySingleAsync<TokenRow>(Cmd(
                $"SELECT {TokenColumns} FROM auth_tokens t JOIN auth_users u ON u.user_id = t.user_id WHERE t.token_id = @id", new { id }, tx, token)).ConfigureAwait(false);
            return row.ToToken();
        }, ct);

    public Task<TokenOwner?> FindTokenAsync(string secretHash, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            var row = await c.QuerySingleOrDefaultAsync<TokenRow>(Cmd(
                $"SELECT {TokenColumns}, u.is_admin AS IsAdmin, u.creation_timestamp AS UserCreationTimestamp " +
                "FROM auth_tokens t JOIN auth_users u ON u.user_id = t.user_id WHERE t.secret_hash = @secretHash",
                new { secretHash }, null, token)).ConfigureAwait(false);
            return row is null ? null : new TokenOwner(row.ToToken(), new AuthUser(row.UserId, row.Username, row.IsAdmin != 0, row.UserCreationTimestamp));
        }, ct);

    public Task<IReadOnlyList<ApiToken>> ListTokensAsync(long? userId, CancellationToken ct) =>
        database.ReadAsync<IReadOnlyList<ApiToken>>(async (c, token) => (await c.QueryAsync<TokenRow>(Cmd(
            $"SELECT {TokenColumns} FROM auth_tokens t JOIN auth_users u ON u.user_id = t.user_id " +
            "WHERE (@userId IS NULL OR t.user_id = @userId) ORDER BY t.creation_timestamp DESC, t.token_id",
            new { userId }, null, token)).ConfigureAwait(false)).Select(r => r.ToToken()).ToList(), ct);

    public Task<ApiToken?> GetTokenAsync(string id, CancellationToken ct) =>
        database.ReadAsync(async (c, token) => (await c.QuerySingleOrDefaultAsync<TokenRow>(Cmd(
            $"SELECT {TokenColumns} FROM auth_tokens t JOIN auth_users u ON u.user_id = t.user_id WHERE t.token_id = @id",
            new { id }, null, token)).ConfigureAwait(false))?.ToToken(), ct);

    public Task<bool> RevokeTokenAsync(string id, long now, CancellationToken ct) =>
        ExecuteAndBumpAsync("UPDATE auth_tokens SET revoked_timestamp = @now WHERE token_id = @id AND revoked_timestamp IS NULL", new { id, now }, ct);

    private Task<bool> ExecuteAndBumpAsync(string sql, object parameters, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            var changed = await c.ExecuteAsync(Cmd(sql, parameters, tx, token)).ConfigureAwait(false);
            if (changed > 0)
            {
                await BumpAsync(c, tx, token).ConfigureAwait(false);
            }

            return changed > 0;
        }, ct);

    private static Task BumpAsync(DbConnection c, DbTransaction tx, CancellationToken ct) =>
        c.ExecuteAsync(Cmd("UPDATE auth_state SET version = version + 1 WHERE id = 1", null, tx, ct));

    private static CommandDefinition Cmd(string sql, object? parameters, DbTransaction? tx, CancellationToken ct) =>
        new(sql, parameters, tx, cancellationToken: ct);
}
