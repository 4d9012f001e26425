using System.Globalization;
using System.Text.Json;
using Strata.Client.Http;

namespace Strata.Client;

/// <summary>
/// Users, permissions and tokens of a server started with <c>--auth</c>: MLflow's basic-auth endpoints
/// (<c>/api/2.0/mlflow/users/...</c>) and Strata's <c>/api/2.0/strata/users</c> and <c>/tokens</c>. Answers are the
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
