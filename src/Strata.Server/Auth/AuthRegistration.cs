using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Server.Hosting;
using Strata.Storage.Auth;
using Strata.Storage.Database;

namespace Strata.Server.Auth;

public static class AuthRegistration
{
    /// <summary>The auth store and service, the credential cache and throttle, and the Basic/Bearer authentication scheme.</summary>
    public static IServiceCollection AddStrataAuth(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IAuthStore>(sp => new AuthStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton(sp => sp.GetRequiredService<IOptions<StrataServerOptions>>().Value.Auth.Settings());
        services.TryAddSingleton<AuthService>();
        services.TryAddSingleton<AuthVersionMonitor>();
        services.TryAddSingleton<CredentialCache>();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<AccessResolver>();
        services.TryAddSingleton<PartUrlGrants>();
        // No default scheme: the host then adds no authentication step of its own to every request (it runs the
        // default scheme's handler whenever one is set), so a request is authenticated once, in AuthorizationMiddleware,
        // and only when its route needs a caller. Every challenge, forbid and sign-in names its scheme.
        var authentication = services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, StrataAuthenticationHandler>(StrataUser.Scheme, null);
        services.AddStrataUiSessions(authentication);
        return services;
    }

    /// <summary>With <c>--auth</c>: <see cref="AuthorizationMiddleware"/> (authentication, then the rule table); nothing otherwise.</summary>
    public static WebApplication UseStrataAuth(this WebApplication app)
    {
        if (Enabled(app))
        {
            // Authentication runs inside AuthorizationMiddleware (through the same handler), and only for routes that
            // need a caller: a cached credential then costs a hash and a lookup instead of a handler per request.
            app.UseStrataOidc();
            app.UseMiddleware<AuthorizationMiddleware>();
        }

        return app;
    }

    /// <summary>The users, permissions and tokens API exists only with <c>--auth</c>, as MLflow's basic-auth app.</summary>
    public static WebApplication MapStrataAuth(this WebApplication app)
    {
        if (Enabled(app))
        {
            app.MapAuthApi();
            app.MapStrataOidc();
        }

        return app;
    }

    /// <summary>
    /// With <c>--auth</c>: creates the admin from <c>STRATA_ADMIN_USERNAME</c>/<c>STRATA_ADMIN_PASSWORD</c> when it does
    /// not exist, and refuses to start when there is no admin at all.
    /// </summary>
    public static async Task EnsureAuthReadyAsync(this WebApplication app, CancellationToken ct)
    {
        var auth = app.Services.GetRequiredService<IOptions<StrataServerOptions>>().Value.Auth;
        if (!auth.Enabled)
        {
            return;
        }

        bool ready;
        try
        {
            ready = await app.Services.GetRequiredService<AuthService>().EnsureAdminAsync(auth.AdminUsername, auth.AdminPassword, ct).ConfigureAwait(false);
        }
        catch (Strata.Core.Errors.MlflowException e)
        {
            throw new StrataConfigurationException($"STRATA_ADMIN_USERNAME/STRATA_ADMIN_PASSWORD: {e.Message}", e);
        }

        if (!ready)
        {
            throw new StrataConfigurationException(
                "--auth needs an admin: set STRATA_ADMIN_USERNAME and STRATA_ADMIN_PASSWORD (at least 8 characters) for the first start.");
        }
    }

    private static bool Enabled(WebApplication app) => app.Services.GetRequiredService<IOptions<StrataServerOptions>>().Value.Auth.Enabled;
}
