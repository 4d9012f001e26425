using Strata.Core.Tracking;

namespace Strata.Core.Auth;

/// <summary>
/// Users, API tokens and permission grants. Every write bumps a version number (<see cref="GetVersionAsync"/>) that
/// caches of verified credentials and grants compare against, so every replica drops stale entries within its poll.
/// </summary>
public interface IAuthStore
{
    Task<long> GetVersionAsync(CancellationToken ct);

    /// <summary>Creates a user; RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task<AuthUser> CreateUserAsync(string username, string passwordHash, bool isAdmin, long now, CancellationToken ct);

    Task<AuthUser?> GetUserAsync(string username, CancellationToken ct);

    Task<AuthUserSecret?> GetUserSecretAsync(string username, CancellationToken ct);

    Task<Page<AuthUser>> ListUsersAsync(int maxResults, string? pageToken, CancellationToken ct);

    Task<bool> UpdatePasswordAsync(string username, string passwordHash, CancellationToken ct);

    Task<bool> UpdateAdminAsync(string username, bool isAdmin, CancellationToken ct);

    /// <summary>Deletes the user with its tokens and grants.</summary>
    Task<bool> DeleteUserAsync(string username, CancellationToken ct);

    Task<int> CountAdminsAsync(CancellationToken ct);

    /// <summary>
    /// The signing key of <paramref name="purpose"/>: the stored one, else <paramref name="candidate"/> stored now. Two
    /// replicas racing both get the one that was stored first.
    /// </summary>
    Task<string> GetOrCreateSigningKeyAsync(string purpose, string candidate, long now, CancellationToken ct);

    Task<ApiToken> CreateTokenAsync(string id, string secretHash, long userId, string name, string? deployment, long now, long? expiresAt, CancellationToken ct);

    /// <summary>The token whose secret hashes to <paramref name="secretHash"/>, with its owner, revoked and expired ones included.</summary>
    Task<TokenOwner?> FindTokenAsync(string secretHash, CancellationToken ct);

    /// <summary>Tokens of one user, or of everyone when <paramref name="userId"/> is null; newest first.</summary>
    Task<IReadOnlyList<ApiToken>> ListTokensAsync(long? userId, CancellationToken ct);

    Task<ApiToken?> GetTokenAsync(string id, CancellationToken ct);

    Task<bool> RevokeTokenAsync(string id, long now, CancellationToken ct);

    Task<UserGrants> GetGrantsAsync(long userId, CancellationToken ct);

    Task<ExperimentPermission> CreateExperimentPermissionAsync(string experimentId, long userId, Permission permission, CancellationToken ct);

    Task<ExperimentPermission?> GetExperimentPermissionAsync(string experimentId, long userId, CancellationToken ct);

    Task<bool> UpdateExperimentPermissionAsync(string experimentId, long userId, Permission permission, CancellationToken ct);

    Task<bool> DeleteExperimentPermissionAsync(string experimentId, long userId, CancellationToken ct);

    /// <summary>Grants or replaces (used for the creator's MANAGE, which must not fail when a grant exists).</summary>
    Task SetExperimentPermissionAsync(string experimentId, long userId, Permission permission, CancellationToken ct);

    Task<RegisteredModelPermission> CreateRegisteredModelPermissionAsync(string name, long userId, Permission permission, CancellationToken ct);

    Task<RegisteredModelPermission?> GetRegisteredModelPermissionAsync(string name, long userId, CancellationToken ct);

    Task<bool> UpdateRegisteredModelPermissionAsync(string name, long userId, Permission permission, CancellationToken ct);

    Task<bool> DeleteRegisteredModelPermissionAsync(string name, long userId, CancellationToken ct);

    Task SetRegisteredModelPermissionAsync(string name, long userId, Permission permission, CancellationToken ct);

    /// <summary>Moves every grant on a registered model to its new name (after a rename).</summary>
    Task RenameRegisteredModelPermissionsAsync(string name, string newName, CancellationToken ct);

    /// <summary>Drops every grant on a registered model (after it is deleted, so a new model of the same name starts clean).</summary>
    Task DeleteRegisteredModelPermissionsAsync(string name, CancellationToken ct);

    Task<DeploymentPermission> CreateDeploymentPermissionAsync(string name, long userId, Permission permission, CancellationToken ct);

    Task<DeploymentPermission?> GetDeploymentPermissionAsync(string name, long userId, CancellationToken ct);

    Task<bool> UpdateDeploymentPermissionAsync(string name, long userId, Permission permission, CancellationToken ct);

    Task<bool> DeleteDeploymentPermissionAsync(string name, long userId, CancellationToken ct);

    Task SetDeploymentPermissionAsync(string name, long userId, Permission permission, CancellationToken ct);

    Task DeleteDeploymentPermissionsAsync(string name, CancellationToken ct);
}
