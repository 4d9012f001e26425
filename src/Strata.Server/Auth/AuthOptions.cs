using Strata.Core.Auth;

namespace Strata.Server.Auth;

/// <summary>
/// <c>--auth</c> and its settings. Off by default: the server is then open, as <c>mlflow server</c> without
/// <c>--app-name basic-auth</c>. The admin's credentials come from the environment only, never from a flag (a flag
/// would show in the process list).
/// </summary>
public sealed class AuthOptions
{
    public bool Enabled { get; set; }

    /// <summary>What a user may do on an experiment, registered model or deployment without an explicit grant.</summary>
    public Permission DefaultPermission { get; set; } = Permission.READ;

    /// <summary>Created (as admin) at start when no user of that name exists: <c>STRATA_ADMIN_USERNAME</c>.</summary>
    public string? AdminUsername { get; set; }

    /// <summary><c>STRATA_ADMIN_PASSWORD</c>.</summary>
    public string? AdminPassword { get; set; }

    /// <summary>PBKDF2 iterations of new password hashes (tests lower it; never below the floor in production).</summary>
    public int PasswordIterations { get; set; } = PasswordHashing.Iterations;

    /// <summary>How long a verified credential is trusted without checking the store again (changes still invalidate it at once).</summary>
    public TimeSpan CredentialCacheTtl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the auth version is re-read from the database, i.e. how fast other replicas' changes are seen.</summary>
    public TimeSpan VersionPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Failed sign-ins of one user before it is locked out for a while (doubling with each further failure).</summary>
    public int MaxFailedLoginsPerUser { get; set; } = 5;

    /// <summary>Failed sign-ins from one address before it is locked out for a while.</summary>
    public int MaxFailedLoginsPerAddress { get; set; } = 20;

    /// <summary>The first lockout; each further failure doubles it up to <see cref="MaxLockout"/>.</summary>
    public TimeSpan FirstLockout { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxLockout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a multipart upload's signed part URLs stay valid (S3's presigned URLs default to an hour too).</summary>
    public TimeSpan PartUrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>OpenID Connect sign-in for the UI; off unless an authority is set.</summary>
    public OidcOptions Oidc { get; } = new();

    /// <summary>How long a UI session lasts without a request (each request slides it).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Where the Data Protection keys that protect the UI's session cookies and form tokens are kept
    /// (<c>--data-protection-keys</c>): a directory every replica shares; unset keeps ASP.NET Core's per-machine default.
    /// </summary>
    public string? DataProtectionKeysDirectory { get; set; }

    /// <summary>
    /// A per-process random secret this server sends to itself (deployments resolve their models through the server's
    /// own REST API); it never leaves the process and never reaches a log.
    /// </summary>
    internal string InternalSecret { get; } = ApiTokenSecrets.NewSecret();

    /// <summary>The Authorization header of <see cref="InternalSecret"/> when auth is on; null otherwise.</summary>
    public string? InternalAuthorization => Enabled ? "Bearer " + InternalSecret : null;

    public AuthSettings Settings() => new(DefaultPermission, PasswordIterations);
}
