using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Core.Errors;
using Strata.Server.Hosting;

namespace Strata.Server.Auth;

/// <summary>
/// Turns a validated id_token into a Strata user: the user named by the configured claim (else <c>email</c>, else
/// <c>sub</c>) is matched, or created without a password (it can only sign in through the provider, or with a token).
/// A new user is an admin only when <c>--oidc-admin-users</c> lists it; a listed existing user is made admin.
/// Everything else (default permission, grants) is as for any user.
/// </summary>
public static partial class OidcUsers
{
    /// <summary>Stored as the password hash of users made by OpenID Connect: no password ever verifies against it.</summary>
    public const string NoPassword = "oidc";

    public static async Task SignInAsync(TokenValidatedContext context)
    {
        var services = context.HttpContext.RequestServices;
        var oidc = services.GetRequiredService<IOptions<StrataServerOptions>>().Value.Auth.Oidc;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcUsers));
        var principal = context.Principal!;
        var username = UiSessions.Claim(principal, oidc.UsernameClaim) ?? UiSessions.Claim(principal, "email") ?? UiSessions.Claim(principal, "sub");
        try
        {
            AuthValidation.RequireUsername(username, oidc.UsernameClaim);
        }
        catch (MlflowException)
        {
            LogBadUsername(logger, oidc.UsernameClaim);
            context.Fail("The identity provider's token names no usable Strata username.");
            return;
        }

        var store = services.GetRequiredService<IAuthStore>();
        var ct = context.HttpContext.RequestAborted;
        var admin = oidc.AdminUsers.Contains(username!, StringComparer.Ordinal);
        var user = await store.GetUserAsync(username!, ct).ConfigureAwait(false);
        if (user is null)
        {
            var now = services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
            try
            {
                user = await store.CreateUserAsync(username!, NoPassword, admin, now, ct).ConfigureAwait(false);
                LogCreated(logger, username!, admin);
            }
            catch (MlflowException)
            {
                // Created by a concurrent sign-in of the same user.
                user = await store.GetUserAsync(username!, ct).ConfigureAwait(false);
            }
        }
        else if (admin && !user.IsAdmin)
        {
            await store.UpdateAdminAsync(user.Username, true, ct).ConfigureAwait(false);
            user = user with { IsAdmin = true };
        }

        if (user is null)
        {
            context.Fail("The Strata user could not be created.");
            return;
        }

        services.GetRequiredService<AuthVersionMonitor>().MarkStale();
        context.Principal = StrataUser.Of(user, null).ToPrincipal();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "OpenID Connect sign-in refused: the id_token has no usable username in claim {Claim}, email or sub")]
    private static partial void LogBadUsername(ILogger logger, string claim);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created user {Username} (admin: {Admin}) at its first OpenID Connect sign-in")]
    private static partial void LogCreated(ILogger logger, string username, bool admin);
}
