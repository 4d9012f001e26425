using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Auth;
using Strata.Server.Hosting;

namespace Strata.Server.Auth;

/// <summary>
/// The UI's sign-in: a cookie session (HttpOnly, SameSite=Lax, Secure on HTTPS, sliding expiry) made by the sign-in
/// page's password form or by OpenID Connect (authorization code flow with PKCE). The cookie is accepted by the UI's
/// pages and hub, and by the API for reads only (GET/HEAD: the UI's download links); a state-changing API call must
/// carry HTTP basic credentials or a token, so no page of another site can act with a browser's session.
/// </summary>
public static class UiSessions
{
    public const string CookieScheme = "StrataUi";
    public const string OidcScheme = "StrataOidc";
    public const string CookieName = "strata.session";
    public const string SignInPath = "/signin";
    public const string OidcStartPath = "/signin/oidc";

    /// <summary>The cookie scheme, the OpenID Connect scheme (used only when configured) and the Data Protection key ring.</summary>
    public static IServiceCollection AddStrataUiSessions(this IServiceCollection services, AuthenticationBuilder authentication)
    {
        // One application name, so that replicas installed in different places read each other's cookies and form tokens.
        services.AddDataProtection().SetApplicationName("strata");
        services.AddOptions<KeyManagementOptions>().Configure<IOptions<StrataServerOptions>, ILoggerFactory>((keys, server, loggers) =>
        {
            if (server.Value.Auth.DataProtectionKeysDirectory is { Length: > 0 } directory)
            {
                keys.XmlRepository = new FileSystemXmlRepository(Directory.CreateDirectory(directory), loggers);
            }
        });

        authentication.AddCookie(CookieScheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = SignInPath;
            cookie.Events.OnValidatePrincipal = ValidateAsync;
        });
        services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<StrataServerOptions>>((cookie, server) =>
            cookie.ExpireTimeSpan = server.Value.Auth.SessionIdleTimeout);

        // The OpenID Connect scheme itself is added at start and only when configured (UseStrataOidc): the host's
        // authentication middleware offers every request to each remote scheme, and an unconfigured one would throw.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.AddOptions<OpenIdConnectOptions>(OidcScheme).Configure<IOptions<StrataServerOptions>>((o, server) => ConfigureOidc(o, server.Value.Auth.Oidc));
        return services;
    }

    /// <summary>With OpenID Connect configured: answers the provider's redirect to <c>/signin-oidc</c>, and maps <c>/signin/oidc</c>.</summary>
    public static WebApplication UseStrataOidc(this WebApplication app)
    {
        var oidc = app.Services.GetRequiredService<IOptions<StrataServerOptions>>().Value.Auth.Oidc;
        if (!oidc.Enabled)
        {
            return app;
        }

        app.Services.GetRequiredService<IAuthenticationSchemeProvider>()
            .AddScheme(new AuthenticationScheme(OidcScheme, oidc.DisplayName, typeof(OpenIdConnectHandler)));
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.Equals(OidcOptions.CallbackPath, StringComparison.Ordinal))
            {
                var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
                if (await handlers.GetHandlerAsync(context, OidcScheme).ConfigureAwait(false) is IAuthenticationRequestHandler handler
                    && await handler.HandleRequestAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });
        return app;
    }

    /// <summary><c>GET /signin/oidc?returnUrl=</c>: sends the browser to the provider.</summary>
    public static WebApplication MapStrataOidc(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<StrataServerOptions>>().Value.Auth.Oidc.Enabled)
        {
            app.MapGet(OidcStartPath, (HttpContext context, string? returnUrl) =>
                Results.Challenge(new AuthenticationProperties { RedirectUri = LocalReturnUrl(returnUrl) }, [OidcScheme]));
        }

        return app;
    }

    /// <summary>Only a path on this server (never <c>//host</c> or <c>/\host</c>, which browsers treat as another site).</summary>
    public static string LocalReturnUrl(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url[0] == '/' && (url.Length == 1 || (url[1] != '/' && url[1] != '\\')) && !url.Any(char.IsControl)
            ? url
            : "/";

    /// <summary>Signs the browser in as the user (password form and OpenID Connect both end here).</summary>
    public static Task SignInAsync(HttpContext context, AuthUser user) =>
        context.SignInAsync(CookieScheme, StrataUser.Of(user, null).ToPrincipal(), new AuthenticationProperties { IsPersistent = false });

    /// <summary>
    /// Each request re-reads the user: a deleted user's session ends at once, and a change of admin status shows at
    /// the next page.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var user = context.Principal is { } p ? StrataUser.From(p) : null;
        var store = context.HttpContext.RequestServices.GetRequiredService<IAuthStore>();
        var current = user is null ? null : await store.GetUserAsync(user.Username, context.HttpContext.RequestAborted).ConfigureAwait(false);
        if (user is null || current is null || current.Id != user.Id)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieScheme).ConfigureAwait(false);
            return;
        }

        if (current.IsAdmin != user.IsAdmin)
        {
            context.ReplacePrincipal(StrataUser.Of(current, null).ToPrincipal());
            context.ShouldRenew = true;
        }
    }

    private static void ConfigureOidc(OpenIdConnectOptions o, OidcOptions oidc)
    {
        if (!oidc.Enabled)
        {
            return;
        }

        o.Authority = oidc.Authority;
        o.ClientId = oidc.ClientId;
        o.ClientSecret = oidc.ClientSecret;
        o.ResponseType = "code";
        o.UsePkce = true;
        // The code comes back on a top-level GET, so the SameSite=Lax correlation and nonce cookies travel with it.
        o.ResponseMode = "query";
        o.CallbackPath = OidcOptions.CallbackPath;
        o.SignInScheme = CookieScheme;
        o.MapInboundClaims = false;
        o.SaveTokens = false;
        o.Scope.Clear();
        o.Scope.Add("openid");
        o.Scope.Add("profile");
        o.Scope.Add("email");
        o.RequireHttpsMetadata = Uri.TryCreate(oidc.Authority, UriKind.Absolute, out var authority) && !authority.IsLoopback;
        o.CorrelationCookie.SameSite = SameSiteMode.Lax;
        o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.NonceCookie.SameSite = SameSiteMode.Lax;
        o.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        o.Events.OnTokenValidated = OidcUsers.SignInAsync;
        o.Events.OnRemoteFailure = context =>
        {
            // The provider's or the protocol's error goes to the sign-in page in a generic form (no token contents).
            context.Response.Redirect(SignInPath + "?error=oidc");
            context.HandleResponse();
            return Task.CompletedTask;
        };
    }

    internal static string? Claim(ClaimsPrincipal principal, string type) =>
        principal.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;
}
