namespace Strata.Core.Auth;

/// <summary>
/// Which resources (experiment ids, registered model names) a search may return, as a condition the store applies in
/// SQL so pages and tokens stay right: readable by default except <see cref="Except"/>, or only <see cref="Except"/>.
/// </summary>
public sealed record ReadScope(bool ReadableByDefault, IReadOnlyList<string> Except)
{
    /// <summary>The scope of a user's grants on one kind of resource under the default permission.</summary>
    public static ReadScope Of(IReadOnlyDictionary<string, Permission> grants, Permission defaultPermission)
    {
        var byDefault = defaultPermission.Allows(Permission.READ);
        return new ReadScope(byDefault, grants.Where(g => g.Value.Allows(Permission.READ) != byDefault).Select(g => g.Key).Order(StringComparer.Ordinal).ToList());
    }
}

/// <summary>A user as the API shows it (never the password hash).</summary>
public sealed record AuthUser(long Id, string Username, bool IsAdmin, long CreationTimestamp);

/// <summary>A user with the hash of its password, for verification only.</summary>
public sealed record AuthUserSecret(AuthUser User, string PasswordHash);

/// <summary>One explicit grant on an experiment.</summary>
public sealed record ExperimentPermission(string ExperimentId, long UserId, Permission Permission);

/// <summary>One explicit grant on a registered model (and its versions and prompts), by name.</summary>
public sealed record RegisteredModelPermission(string Name, long UserId, Permission Permission);

/// <summary>One explicit grant on a deployment, by name (READ: call it; EDIT: change it; MANAGE: delete and grant).</summary>
public sealed record DeploymentPermission(string Name, long UserId, Permission Permission);

/// <summary>Every explicit grant a user holds; a missing entry means the server's default permission.</summary>
public sealed record UserGrants(
    IReadOnlyDictionary<string, Permission> Experiments,
    IReadOnlyDictionary<string, Permission> RegisteredModels,
    IReadOnlyDictionary<string, Permission> Deployments)
{
    public static UserGrants None { get; } = new(
        new Dictionary<string, Permission>(), new Dictionary<string, Permission>(), new Dictionary<string, Permission>());
}

/// <summary>
/// An API token as listed: its secret is shown once at creation and only its SHA-256 is stored. A token may be limited
/// to calling one deployment's serving endpoints.
/// </summary>
public sealed record ApiToken(
    string Id,
    string Name,
    long UserId,
    string Username,
    string? Deployment,
    long CreationTimestamp,
    long? ExpirationTimestamp,
    long? RevokedTimestamp)
{
    public bool IsActive(long now) => RevokedTimestamp is null && (ExpirationTimestamp is null || ExpirationTimestamp > now);
}

/// <summary>A token just created, with its secret: the only time the secret exists outside the caller.</summary>
public sealed record CreatedApiToken(ApiToken Token, string Secret);

/// <summary>What a verified token stands for.</summary>
public sealed record TokenOwner(ApiToken Token, AuthUser User);
