namespace Strata.Server.Auth;

/// <summary>
/// OpenID Connect sign-in for the UI (<c>--oidc-authority</c>, <c>--oidc-client-id</c>, <c>--oidc-client-secret</c>,
/// <c>--oidc-username-claim</c>, <c>--oidc-admin-users</c>; env <c>STRATA_OIDC_*</c>). Off while no authority is set.
/// </summary>
public sealed class OidcOptions
{
    /// <summary>Where the provider's UI sends the browser back with the code; register it at the provider.</summary>
    public const string CallbackPath = "/signin-oidc";

    public const string DefaultUsernameClaim = "preferred_username";

    /// <summary>The issuer URL; its <c>/.well-known/openid-configuration</c> is read at first use.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    /// <summary>Confidential clients; public clients (PKCE only) leave it unset.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The claim that names the Strata user; when absent, <c>email</c> then <c>sub</c>.</summary>
    public string UsernameClaim { get; set; } = DefaultUsernameClaim;

    /// <summary>Usernames that are made admins when they sign in through the provider.</summary>
    public IList<string> AdminUsers { get; } = new List<string>();

    /// <summary>The button's label: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; set; } = "OpenID Connect";

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    /// <summary>A one-line reason the settings cannot work, or null.</summary>
    public string? Problem(bool authEnabled)
    {
        if (!Enabled)
        {
            return null;
        }

        if (!authEnabled)
        {
            return "--oidc-authority needs --auth (OpenID Connect signs users in to Strata's users and permissions).";
        }

        if (string.IsNullOrWhiteSpace(ClientId))
        {
            return "--oidc-authority needs --oidc-client-id (env STRATA_OIDC_CLIENT_ID).";
        }

        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback)))
        {
            return $"--oidc-authority must be an https:// URL (http:// only on loopback), got '{Authority}'.";
        }

        if (string.IsNullOrWhiteSpace(UsernameClaim))
        {
            return "--oidc-username-claim must not be empty.";
        }

        return null;
    }
}
