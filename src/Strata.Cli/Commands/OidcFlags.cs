using System.CommandLine;
using Strata.Server.Auth;

namespace Strata.Cli.Commands;

/// <summary><c>strata server</c>'s UI sign-in flags: OpenID Connect and where the cookie keys live.</summary>
internal sealed class OidcFlags
{
    private readonly Option<string?> _authority = new("--oidc-authority")
    {
        Description = "With --auth: offer \"Sign in with ...\" on the UI's sign-in page through this OpenID Connect issuer (https URL; env STRATA_OIDC_AUTHORITY). Register <server>/signin-oidc as the redirect URI.",
    };

    private readonly Option<string?> _clientId = new("--oidc-client-id") { Description = "The client id registered at the provider (env STRATA_OIDC_CLIENT_ID)." };

    private readonly Option<string?> _clientSecret = new("--oidc-client-secret")
    {
        Description = "The client secret, for confidential clients (prefer env STRATA_OIDC_CLIENT_SECRET: a flag shows in the process list).",
    };

    private readonly Option<string?> _usernameClaim = new("--oidc-username-claim")
    {
        Description = "The id_token claim that names the Strata user (default preferred_username, then email, then sub; env STRATA_OIDC_USERNAME_CLAIM).",
    };

    private readonly Option<string?> _adminUsers = new("--oidc-admin-users")
    {
        Description = "Comma-separated usernames made admins when they sign in through the provider (env STRATA_OIDC_ADMIN_USERS).",
    };

    private readonly Option<string?> _displayName = new("--oidc-display-name") { Description = "The provider's name on the sign-in button (env STRATA_OIDC_DISPLAY_NAME)." };

    private readonly Option<string?> _keys = new("--data-protection-keys")
    {
        Description = "Directory of the keys that protect UI session cookies and form tokens; share it between replicas behind a load balancer (env STRATA_DATA_PROTECTION_KEYS).",
    };

    public IEnumerable<Option> All => [_authority, _clientId, _clientSecret, _usernameClaim, _adminUsers, _displayName, _keys];

    public void Apply(AuthOptions auth, ParseResult parse)
    {
        var oidc = auth.Oidc;
        oidc.Authority = parse.GetValue(_authority) ?? oidc.Authority;
        oidc.ClientId = parse.GetValue(_clientId) ?? oidc.ClientId;
        oidc.ClientSecret = parse.GetValue(_clientSecret) ?? oidc.ClientSecret;
        oidc.UsernameClaim = parse.GetValue(_usernameClaim) ?? oidc.UsernameClaim;
        oidc.DisplayName = parse.GetValue(_displayName) ?? oidc.DisplayName;
        if (parse.GetValue(_adminUsers) is { } admins)
        {
            oidc.AdminUsers.Clear();
            foreach (var name in admins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                oidc.AdminUsers.Add(name);
            }
        }

        auth.DataProtectionKeysDirectory = parse.GetValue(_keys) ?? auth.DataProtectionKeysDirectory;
    }
}
