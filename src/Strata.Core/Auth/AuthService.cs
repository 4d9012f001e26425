using Strata.Core.Errors;
using Strata.Core.Tracking;

namespace Strata.Core.Auth;

/// <summary>
/// Users, tokens and grants (MLflow's basic-auth app plus Strata's tokens): validates wire input, hashes passwords,
/// mints token secrets, and keeps at least one admin.
/// </summary>
public sealed class AuthService(IAuthStore store, AuthSettings settings, TimeProvider time)
{
    public const int DefaultUsersPageSize = 100;
    public const int MaxUsersPageSize = 1000;

    public IAuthStore Store => store;

    public AuthSettings Settings => settings;

    // ---- users ----

    public async Task<AuthUser> CreateUserAsync(string? username, string? password, bool isAdmin, CancellationToken ct)
    {
        AuthValidation.RequireUsername(username);
        AuthValidation.RequirePassword(password);
        if (await store.GetUserAsync(username!, ct).ConfigureAwait(false) is not null)
        {
            throw MlflowException.AlreadyExists($"User '{username}' already exists.");
        }

        var hash = await HashAsync(password!, ct).ConfigureAwait(false);
        return await store.CreateUserAsync(username!, hash, isAdmin, Now(), ct).ConfigureAwait(false);
    }

    public async Task<AuthUser> GetUserAsync(string? username, CancellationToken ct)
    {
        AuthValidation.RequireName(username, "username");
        return await store.GetUserAsync(username!, ct).ConfigureAwait(false) ?? throw UserNotFound(username!);
    }

    public Task<Page<AuthUser>> ListUsersAsync(long? maxResults, string? pageToken, CancellationToken ct)
    {
        var max = maxResults ?? DefaultUsersPageSize;
        if (max is < 1 or > MaxUsersPageSize)
        {
            throw MlflowException.InvalidParameter($"Invalid value {max} for parameter 'max_results': it must be between 1 and {MaxUsersPageSize}.");
        }

        return store.ListUsersAsync((int)max, pageToken, ct);
    }

    public async Task UpdatePasswordAsync(string? username, string? password, CancellationToken ct)
    {
        AuthValidation.RequireName(username, "username");
        AuthValidation.RequirePassword(password);
        var hash = await HashAsync(password!, ct).ConfigureAwait(false);
        if (!await store.UpdatePasswordAsync(username!, hash, ct).ConfigureAwait(false))
        {
            throw UserNotFound(username!);
        }
    }

    public async Task UpdateAdminAsync(string? username, bool? isAdmin, CancellationToken ct)
    {
        AuthValidation.RequireName(username, "username");
        if (isAdmin is null)
        {
            throw MlflowException.MissingParameter("is_admin");
        }

        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (user.IsAdmin && isAdmin == false)
        {
            await EnsureNotLastAdminAsync(user, ct).ConfigureAwait(false);
        }

        await store.UpdateAdminAsync(username!, isAdmin.Value, ct).ConfigureAwait(false);
    }

    public async Task DeleteUserAsync(string? username, CancellationToken ct)
    {
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (user.IsAdmin)
        {
            await EnsureNotLastAdminAsync(user, ct).ConfigureAwait(false);
        }

        await store.DeleteUserAsync(user.Username, ct).ConfigureAwait(false);
    }

    /// <summary>The user when the password is theirs; null otherwise (unknown users cost a hash too, so timing tells nothing).</summary>
    public async Task<AuthUser?> VerifyPasswordAsync(string username, string password, CancellationToken ct)
    {
        var secret = await store.GetUserSecretAsync(username, ct).ConfigureAwait(false);
        var stored = secret?.PasswordHash ?? _dummyHash.Value;
        var ok = await Task.Run(() => PasswordHashing.Verify(password, stored), ct).ConfigureAwait(false);
        return ok && secret is not null ? secret.User : null;
    }

    // ---- tokens ----

    public async Task<CreatedApiToken> CreateTokenAsync(string? username, string? name, long? expiresAt, string? deployment, CancellationToken ct)
    {
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        AuthValidation.RequireTokenName(name);
        var now = Now();
        if (expiresAt is { } at && at <= now)
        {
            throw MlflowException.InvalidParameter($"Invalid value {at} for parameter 'expiration_timestamp': it must be in the future (milliseconds since the epoch).");
        }

        if (deployment is { Length: 0 })
        {
            throw MlflowException.InvalidParameter("Invalid value for parameter 'deployment': it must not be empty.");
        }

        var secret = ApiTokenSecrets.NewSecret();
        var token = await store.CreateTokenAsync(
            ApiTokenSecrets.NewId(), ApiTokenSecrets.HashSecret(secret), user.Id, name!, deployment, now, expiresAt, ct).ConfigureAwait(false);
        return new CreatedApiToken(token, secret);
    }

    /// <summary>The owner of an active token; null for unknown, revoked or expired ones.</summary>
    public async Task<TokenOwner?> VerifyTokenAsync(string secret, CancellationToken ct)
    {
        var owner = await store.FindTokenAsync(ApiTokenSecrets.HashSecret(secret), ct).ConfigureAwait(false);
        return owner is not null && owner.Token.IsActive(Now()) ? owner : null;
    }

    public async Task<ApiToken> GetTokenAsync(string? id, CancellationToken ct)
    {
        AuthValidation.RequireName(id, "token_id");
        return await store.GetTokenAsync(id!, ct).ConfigureAwait(false)
            ?? throw MlflowException.NotFound($"Token with id={id} not found.");
    }

    public async Task RevokeTokenAsync(string? id, CancellationToken ct)
    {
        var token = await GetTokenAsync(id, ct).ConfigureAwait(false);
        await store.RevokeTokenAsync(token.Id, Now(), ct).ConfigureAwait(false);
    }

    // ---- grants ----

    public async Task<ExperimentPermission> CreateExperimentPermissionAsync(string? experimentId, string? username, string? permission, CancellationToken ct)
    {
        AuthValidation.RequireExperimentId(experimentId);
        var level = Permissions.Parse(permission);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (await store.GetExperimentPermissionAsync(experimentId!, user.Id, ct).ConfigureAwait(false) is not null)
        {
            throw MlflowException.AlreadyExists($"Experiment permission (experiment_id={experimentId}, username={username}) already exists.");
        }

        return await store.CreateExperimentPermissionAsync(experimentId!, user.Id, level, ct).ConfigureAwait(false);
    }

    public async Task<ExperimentPermission> GetExperimentPermissionAsync(string? experimentId, string? username, CancellationToken ct)
    {
        AuthValidation.RequireExperimentId(experimentId);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        return await store.GetExperimentPermissionAsync(experimentId!, user.Id, ct).ConfigureAwait(false)
            ?? throw ExperimentPermissionNotFound(experimentId!, username!);
    }

    public async Task UpdateExperimentPermissionAsync(string? experimentId, string? username, string? permission, CancellationToken ct)
    {
        AuthValidation.RequireExperimentId(experimentId);
        var level = Permissions.Parse(permission);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (!await store.UpdateExperimentPermissionAsync(experimentId!, user.Id, level, ct).ConfigureAwait(false))
        {
            throw ExperimentPermissionNotFound(experimentId!, username!);
        }
    }

    public async Task DeleteExperimentPermissionAsync(string? experimentId, string? username, CancellationToken ct)
    {
        AuthValidation.RequireExperimentId(experimentId);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (!await store.DeleteExperimentPermissionAsync(experimentId!, user.Id, ct).ConfigureAwait(false))
        {
            throw ExperimentPermissionNotFound(experimentId!, username!);
        }
    }

    public async Task<RegisteredModelPermission> CreateRegisteredModelPermissionAsync(string? name, string? username, string? permission, CancellationToken ct)
    {
        AuthValidation.RequireName(name);
        var level = Permissions.Parse(permission);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (await store.GetRegisteredModelPermissionAsync(name!, user.Id, ct).ConfigureAwait(false) is not null)
        {
            throw MlflowException.AlreadyExists($"Registered model permission (name={name}, username={username}) already exists.");
        }

        return await store.CreateRegisteredModelPermissionAsync(name!, user.Id, level, ct).ConfigureAwait(false);
    }

    public async Task<RegisteredModelPermission> GetRegisteredModelPermissionAsync(string? name, string? username, CancellationToken ct)
    {
        AuthValidation.RequireName(name);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        return await store.GetRegisteredModelPermissionAsync(name!, user.Id, ct).ConfigureAwait(false)
            ?? throw ModelPermissionNotFound(name!, username!);
    }

    public async Task UpdateRegisteredModelPermissionAsync(string? name, string? username, string? permission, CancellationToken ct)
    {
        AuthValidation.RequireName(name);
        var level = Permissions.Parse(permission);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (!await store.UpdateRegisteredModelPermissionAsync(name!, user.Id, level, ct).ConfigureAwait(false))
        {
            throw ModelPermissionNotFound(name!, username!);
        }
    }

    public async Task DeleteRegisteredModelPermissionAsync(string? name, string? username, CancellationToken ct)
    {
        AuthValidation.RequireName(name);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (!await store.DeleteRegisteredModelPermissionAsync(name!, user.Id, ct).ConfigureAwait(false))
        {
            throw ModelPermissionNotFound(name!, username!);
        }
    }

    public async Task<DeploymentPermission> CreateDeploymentPermissionAsync(string? name, string? username, string? permission, CancellationToken ct)
    {
        AuthValidation.RequireName(name, "deployment_name");
        var level = Permissions.Parse(permission);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (await store.GetDeploymentPermissionAsync(name!, user.Id, ct).ConfigureAwait(false) is not null)
        {
            throw MlflowException.AlreadyExists($"Deployment permission (deployment_name={name}, username={username}) already exists.");
        }

        return await store.CreateDeploymentPermissionAsync(name!, user.Id, level, ct).ConfigureAwait(false);
    }

    public async Task<DeploymentPermission> GetDeploymentPermissionAsync(string? name, string? username, CancellationToken ct)
    {
        AuthValidation.RequireName(name, "deployment_name");
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        return await store.GetDeploymentPermissionAsync(name!, user.Id, ct).ConfigureAwait(false)
            ?? throw DeploymentPermissionNotFound(name!, username!);
    }

    public async Task UpdateDeploymentPermissionAsync(string? name, string? username, string? permission, CancellationToken ct)
    {
        AuthValidation.RequireName(name, "deployment_name");
        var level = Permissions.Parse(permission);
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (!await store.UpdateDeploymentPermissionAsync(name!, user.Id, level, ct).ConfigureAwait(false))
        {
            throw DeploymentPermissionNotFound(name!, username!);
        }
    }

    public async Task DeleteDeploymentPermissionAsync(string? name, string? username, CancellationToken ct)
    {
        AuthValidation.RequireName(name, "deployment_name");
        var user = await GetUserAsync(username, ct).ConfigureAwait(false);
        if (!await store.DeleteDeploymentPermissionAsync(name!, user.Id, ct).ConfigureAwait(false))
        {
            throw DeploymentPermissionNotFound(name!, username!);
        }
    }

    /// <summary>Creates the first admin from the environment, or checks one exists; false when there is none and none was given.</summary>
    public async Task<bool> EnsureAdminAsync(string? username, string? password, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(username) && !string.IsNullOrEmpty(password))
        {
            var existing = await store.GetUserAsync(username, ct).ConfigureAwait(false);
            if (existing is null)
            {
                await CreateUserAsync(username, password, isAdmin: true, ct).ConfigureAwait(false);
            }
            else if (!existing.IsAdmin)
            {
                await store.UpdateAdminAsync(username, true, ct).ConfigureAwait(false);
            }

            return true;
        }

        return await store.CountAdminsAsync(ct).ConfigureAwait(false) > 0;
    }

    private async Task EnsureNotLastAdminAsync(AuthUser user, CancellationToken ct)
    {
        if (await store.CountAdminsAsync(ct).ConfigureAwait(false) <= 1)
        {
            throw MlflowException.InvalidParameter($"User '{user.Username}' is the last admin; make another user admin first.");
        }
    }

    // PBKDF2 at 600k iterations is deliberate CPU work; keep it off the request thread's synchronous path.
    private Task<string> HashAsync(string password, CancellationToken ct) =>
        Task.Run(() => PasswordHashing.Hash(password, settings.PasswordIterations), ct);

    private readonly Lazy<string> _dummyHash = new(() => PasswordHashing.Hash("strata-no-such-user", settings.PasswordIterations));

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static MlflowException UserNotFound(string username) => MlflowException.NotFound($"User with username={username} not found.");

    private static MlflowException ExperimentPermissionNotFound(string experimentId, string username) =>
        MlflowException.NotFound($"Experiment permission with experiment_id={experimentId} and username={username} not found.");

    private static MlflowException DeploymentPermissionNotFound(string name, string username) =>
        MlflowException.NotFound($"Deployment permission with deployment_name={name} and username={username} not found.");

    private static MlflowException ModelPermissionNotFound(string name, string username) =>
        MlflowException.NotFound($"Registered model permission with name={name} and username={username} not found.");
}
