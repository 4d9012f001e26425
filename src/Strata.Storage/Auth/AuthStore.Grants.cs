using Dapper;
using Strata.Core.Auth;
using Strata.Core.Errors;
using static Strata.Storage.Auth.AuthRows;

namespace Strata.Storage.Auth;

/// <summary>Grants on experiments, registered models and deployments: one table each, keyed by (resource, user).</summary>
public sealed partial class AuthStore
{
    private const string Experiments = "auth_experiment_permissions";
    private const string Models = "auth_registered_model_permissions";
    private const string Deployments = "auth_deployment_permissions";

    public Task<UserGrants> GetGrantsAsync(long userId, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            async Task<IReadOnlyDictionary<string, Permission>> Load(string table, string column) =>
                (await c.QueryAsync<GrantRow>(Cmd(
                    $"SELECT {column} AS Resource, user_id AS UserId, permission AS Permission FROM {table} WHERE user_id = @userId",
                    new { userId }, null, token)).ConfigureAwait(false)).ToDictionary(r => r.Resource, r => r.Level, StringComparer.Ordinal);

            return new UserGrants(
                await Load(Experiments, "experiment_id").ConfigureAwait(false),
                await Load(Models, "name").ConfigureAwait(false),
                await Load(Deployments, "name").ConfigureAwait(false));
        }, ct);

    public async Task<ExperimentPermission> CreateExperimentPermissionAsync(string experimentId, long userId, Permission permission, CancellationToken ct)
    {
        await InsertGrantAsync(Experiments, "experiment_id", experimentId, userId, permission, ct).ConfigureAwait(false);
        return new ExperimentPermission(experimentId, userId, permission);
    }

    public async Task<ExperimentPermission?> GetExperimentPermissionAsync(string experimentId, long userId, CancellationToken ct) =>
        await GetGrantAsync(Experiments, "experiment_id", experimentId, userId, ct).ConfigureAwait(false) is { } level
            ? new ExperimentPermission(experimentId, userId, level) : null;

    public Task<bool> UpdateExperimentPermissionAsync(string experimentId, long userId, Permission permission, CancellationToken ct) =>
        UpdateGrantAsync(Experiments, "experiment_id", experimentId, userId, permission, ct);

    public Task<bool> DeleteExperimentPermissionAsync(string experimentId, long userId, CancellationToken ct) =>
        DeleteGrantAsync(Experiments, "experiment_id", experimentId, userId, ct);

    public Task SetExperimentPermissionAsync(string experimentId, long userId, Permission permission, CancellationToken ct) =>
        UpsertGrantAsync(Experiments, "experiment_id", experimentId, userId, permission, ct);

    public async Task<RegisteredModelPermission> CreateRegisteredModelPermissionAsync(string name, long userId, Permission permission, CancellationToken ct)
    {
        await InsertGrantAsync(Models, "name", name, userId, permission, ct).ConfigureAwait(false);
        return new RegisteredModelPermission(name, userId, permission);
    }

    public async Task<RegisteredModelPermission?> GetRegisteredModelPermissionAsync(string name, long userId, CancellationToken ct) =>
        await GetGrantAsync(Models, "name", name, userId, ct).ConfigureAwait(false) is { } level
            ? new RegisteredModelPermission(name, userId, level) : null;

    public Task<bool> UpdateRegisteredModelPermissionAsync(string name, long userId, Permission permission, CancellationToken ct) =>
        UpdateGrantAsync(Models, "name", name, userId, permission, ct);

    public Task<bool> DeleteRegisteredModelPermissionAsync(string name, long userId, CancellationToken ct) =>
        DeleteGrantAsync(Models, "name", name, userId, ct);

    public Task SetRegisteredModelPermissionAsync(string name, long userId, Permission permission, CancellationToken ct) =>
        UpsertGrantAsync(Models, "name", name, userId, permission, ct);

    public Task RenameRegisteredModelPermissionsAsync(string name, string newName, CancellationToken ct) =>
        ExecuteAndBumpAsync($"UPDATE {Models} SET name = @newName WHERE name = @name", new { name, newName }, ct);

    public Task DeleteRegisteredModelPermissionsAsync(string name, CancellationToken ct) =>
        ExecuteAndBumpAsync($"DELETE FROM {Models} WHERE name = @name", new { name }, ct);

    public async Task<DeploymentPermission> CreateDeploymentPermissionAsync(string name, long userId, Permission permission, CancellationToken ct)
    {
        await InsertGrantAsync(Deployments, "name", name, userId, permission, ct).ConfigureAwait(false);
        return new DeploymentPermission(name, userId, permission);
    }

    public async Task<DeploymentPermission?> GetDeploymentPermissionAsync(string name, long userId, CancellationToken ct) =>
        await GetGrantAsync(Deployments, "name", name, userId, ct).ConfigureAwait(false) is { } level
            ? new DeploymentPermission(name, userId, level) : null;

    public Task<bool> UpdateDeploymentPermissionAsync(string name, long userId, Permission permission, CancellationToken ct) =>
        UpdateGrantAsync(Deployments, "name", name, userId, permission, ct);

    public Task<bool> DeleteDeploymentPermissionAsync(string name, long userId, CancellationToken ct) =>
        DeleteGrantAsync(Deployments, "name", name, userId, ct);

    public Task SetDeploymentPermissionAsync(string name, long userId, Permission permission, CancellationToken ct) =>
        UpsertGrantAsync(Deployments, "name", name, userId, permission, ct);

    public Task DeleteDeploymentPermissionsAsync(string name, CancellationToken ct) =>
        ExecuteAndBumpAsync($"DELETE FROM {Deployments} WHERE name = @name", new { name }, ct);

    private async Task InsertGrantAsync(string table, string column, string resource, long userId, Permission permission, CancellationToken ct)
    {
        try
        {
            await database.WriteAsync(async (c, tx, token) =>
            {
                await c.ExecuteAsync(Cmd(
                    $"INSERT INTO {table} ({column}, user_id, permission) VALUES (@resource, @userId, @permission)",
                    new { resource, userId, permission = permission.ToString() }, tx, token)).ConfigureAwait(false);
                await BumpAsync(c, tx, token).ConfigureAwait(false);
                return true;
            }, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (database.Dialect.IsUniqueViolation(ex))
        {
            throw MlflowException.AlreadyExists($"A permission for {column}={resource} and this user already exists.");
        }
    }

    private Task<Permission?> GetGrantAsync(string table, string column, string resource, long userId, CancellationToken ct) =>
        database.ReadAsync(async (c, token) =>
        {
            var value = await c.QuerySingleOrDefaultAsync<string?>(Cmd(
                $"SELECT permission FROM {table} WHERE {column} = @resource AND user_id = @userId", new { resource, userId }, null, token)).ConfigureAwait(false);
            return value is null ? (Permission?)null : Enum.Parse<Permission>(value);
        }, ct);

    private Task<bool> UpdateGrantAsync(string table, string column, string resource, long userId, Permission permission, CancellationToken ct) =>
        ExecuteAndBumpAsync(
            $"UPDATE {table} SET permission = @permission WHERE {column} = @resource AND user_id = @userId",
            new { resource, userId, permission = permission.ToString() }, ct);

    private Task<bool> DeleteGrantAsync(string table, string column, string resource, long userId, CancellationToken ct) =>
        ExecuteAndBumpAsync($"DELETE FROM {table} WHERE {column} = @resource AND user_id = @userId", new { resource, userId }, ct);

    private Task UpsertGrantAsync(string table, string column, string resource, long userId, Permission permission, CancellationToken ct) =>
        database.WriteAsync(async (c, tx, token) =>
        {
            await c.ExecuteAsync(Cmd(
                $"INSERT INTO {table} ({column}, user_id, permission) VALUES (@resource, @userId, @permission) " +
                $"ON CONFLICT ({column}, user_id) DO UPDATE SET permission = excluded.permission",
                new { resource, userId, permission = permission.ToString() }, tx, token)).ConfigureAwait(false);
            await BumpAsync(c, tx, token).ConfigureAwait(false);
            return true;
        }, ct);
}
