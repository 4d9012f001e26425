using System.Globalization;
using System.Text.Json;
using Strata.Client.Http;

namespace Strata.Client;

/// <summary>
/// Users, permissions and tokens of a server started with <c>--auth</c>: MLflow's basic-auth endpoints
/// (<c>/api/2.0/mlflow/users/...</c>) and Strata's <c>/api/2.0/strata/users</c>, <c>/tokens</c> and deployment permissions. Answers are the
/// API's JSON (MLflow's <c>user</c> and permission objects); a created token's secret is in <c>secret</c>, shown once.
/// </summary>
public sealed partial class StrataClient
{
    private const string StrataApi = "../strata/";

    public Task<JsonElement> CreateUserAsync(string username, string password, CancellationToken ct = default) =>
        PostAsync<JsonElement>("users/create", new Dictionary<string, object?> { ["username"] = username, ["password"] = password }, idempotent: false, ct);

    public Task<JsonElement> GetUserAsync(string username, CancellationToken ct = default) =>
        GetAsync<JsonElement>("users/get", new Query().Add("username", username), ct);

    public Task<JsonElement> ListUsersAsync(int? maxResults = null, string? pageToken = null, CancellationToken ct = default) =>
        GetAsync<JsonElement>(StrataApi + "users", new Query().Add("max_results", maxResults?.ToString(CultureInfo.InvariantCulture)).Add("page_token", pageToken), ct);

    public Task UpdateUserPasswordAsync(string username, string password, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Patch, "users/update-password", null, new Dictionary<string, object?> { ["username"] = username, ["password"] = password }, idempotent: true, ct);

    public Task UpdateUserAdminAsync(string username, bool isAdmin, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Patch, "users/update-admin", null, new Dictionary<string, object?> { ["username"] = username, ["is_admin"] = isAdmin }, idempotent: true, ct);

    public Task DeleteUserAsync(string username, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Delete, "users/delete", null, new Dictionary<string, object?> { ["username"] = username }, idempotent: true, ct);

    /// <summary>Grants <paramref name="username"/> READ, EDIT, MANAGE or NO_PERMISSIONS on a deployment (MANAGE on it needed).</summary>
    public Task<JsonElement> CreateDeploymentPermissionAsync(string deploymentName, string username, string permission, CancellationToken ct = default) =>
        PostAsync<JsonElement>(StrataApi + "deployments/permissions/create", DeploymentGrant(deploymentName, username, permission), idempotent: false, ct);

    /// <summary>The answer's <c>deployment_permission</c>; RESOURCE_DOES_NOT_EXIST when the user holds no explicit grant.</summary>
    public Task<JsonElement> GetDeploymentPermissionAsync(string deploymentName, string username, CancellationToken ct = default) =>
        GetAsync<JsonElement>(StrataApi + "deployments/permissions/get", new Query().Add("deployment_name", deploymentName).Add("username", username), ct);

    public Task UpdateDeploymentPermissionAsync(string deploymentName, string username, string permission, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Patch, StrataApi + "deployments/permissions/update", null, DeploymentGrant(deploymentName, username, permission), idempotent: true, ct);

    public Task DeleteDeploymentPermissionAsync(string deploymentName, string username, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Delete, StrataApi + "deployments/permissions/delete", null, DeploymentGrant(deploymentName, username, null), idempotent: true, ct);

    private static Dictionary<string, object?> DeploymentGrant(string deploymentName, string username, string? permission) =>
        new() { ["deployment_name"] = deploymentName, ["username"] = username, ["permission"] = permission };

    /// <summary>Creates an API token (for <paramref name="username"/>, else the caller); the answer's <c>secret</c> is never shown again.</summary>
    public Task<JsonElement> CreateTokenAsync(
        string name, string? username = null, int? expiresInDays = null, string? deployment = null, CancellationToken ct = default) =>
        PostAsync<JsonElement>(StrataApi + "tokens", new Dictionary<string, object?>
        {
            ["name"] = name,
            ["username"] = username,
            ["expires_in_days"] = expiresInDays,
            ["deployment"] = deployment,
        }, idempotent: false, ct);

    public Task<JsonElement> ListTokensAsync(string? username = null, CancellationToken ct = default) =>
        GetAsync<JsonElement>(StrataApi + "tokens", new Query().Add("username", username), ct);

    public Task RevokeTokenAsync(string tokenId, CancellationToken ct = default) =>
        SendAsync<JsonElement>(HttpMethod.Delete, StrataApi + "tokens/" + Uri.EscapeDataString(tokenId), null, null, idempotent: true, ct);
}
