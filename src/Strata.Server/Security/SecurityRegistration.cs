using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Server.Hosting;
using Strata.Server.Wire;

namespace Strata.Server.Security;

/// <summary>Rate limits, body size limits, cross-origin rules, security headers and forwarded headers.</summary>
public static class SecurityRegistration
{
    public static IServiceCollection AddStrataSecurity(this IServiceCollection services)
    {
        services.AddSingleton<IOptions<SecurityOptions>>(sp => Options.Create(sp.GetRequiredService<IOptions<StrataServerOptions>>().Value.Security));
        return services.AddSecurityServices();
    }

    /// <summary>
    /// The same protections for the standalone scoring server of <c>strata models serve</c>, with its own settings and,
    /// when given, the bearer tokens it accepts (<see cref="ServeTokens"/>).
    /// </summary>
    public static IServiceCollection AddStrataServingSecurity(this IServiceCollection services, SecurityOptions security, ServeTokens? tokens)
    {
        ArgumentNullException.ThrowIfNull(security);
        security.Validate();
        services.AddSingleton(Options.Create(security));
        if (tokens is not null)
        {
            services.AddSingleton(tokens);
        }

        return services.AddSecurityServices();
    }

    /// <summary>
    /// The scoring server's pipeline: the network protections, then its bearer tokens (probes stay open), then the
    /// rate limiter, which so limits each token on its own.
    /// </summary>
    public static WebApplication UseStrataServingSecurity(this WebApplication app)
    {
        app.UseNetworkProtections(dataByDefault: true);
        if (app.Services.GetService<ServeTokens>() is not null)
        {
            app.UseMiddleware<ServeTokenMiddleware>();
        }

        return app.UseStrataRateLimiting();
    }

    private static IServiceCollection AddSecurityServices(this IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SecurityOptions>>((limiter, security) =>
        {
            if (security.Value.RateLimit is { } limit)
            {
                limiter.GlobalLimiter = CallerLimiter(limit);
                limiter.OnRejected = OnRejectedAsync;
            }
        });
        services.AddCors();
        services.AddOptions<CorsOptions>().Configure<IOptions<SecurityOptions>>((cors, security) =>
            cors.AddDefaultPolicy(policy =>
            {
                var origins = security.Value.CorsAllowedOrigins;
                if (origins.Contains("*"))
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins([.. origins]).AllowCredentials();
                }

                policy.AllowAnyHeader().WithMethods("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
            }));
        return services;
    }

    /// <summary>
    /// The protections that run before anything else answers. Forwarded headers come first so that logging, the
    /// rate limiter and the cross-origin check see the real client and scheme.
    /// </summary>
    public static WebApplication UseStrataSecurity(this WebApplication app) => app.UseNetworkProtections(dataByDefault: false);

    private static WebApplication UseNetworkProtections(this WebApplication app, bool dataByDefault)
    {
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        if (security.ForwardedAllowIps.Count > 0)
        {
            app.UseForwardedHeaders(ForwardedHeaders(security));
        }

        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseMiddleware<RequestBodyLimitMiddleware>(dataByDefault);
        if (security.CorsAllowedOrigins.Count > 0)
        {
            app.UseCors();
        }

        app.UseMiddleware<CrossOriginGuardMiddleware>();
        return app;
    }

    /// <summary>Per-caller rate limiting; runs after authentication so a signed-in caller is limited by name.</summary>
    public static WebApplication UseStrataRateLimiting(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value.RateLimit is not null)
        {
            app.UseRateLimiter();
        }

        return app;
    }

    private static PartitionedRateLimiter<HttpContext> CallerLimiter(RateLimitSetting limit) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
        {
            if (IsProbe(context.Request.Path))
            {
                return RateLimitPartition.GetNoLimiter(string.Empty);
            }

            var caller = context.User.Identity is { IsAuthenticated: true, Name: { } name }
                ? "user:" + name
                : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = limit.Permits,
                TokensPerPeriod = limit.Permits,
                ReplenishmentPeriod = limit.Period,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });

    // Health probes from a load balancer or orchestrator must never be throttled (or, on a scoring server, asked for a
    // token) into marking a replica down.
    internal static bool IsProbe(PathString path) =>
        path.Equals("/health", StringComparison.Ordinal) || path.Equals("/version", StringComparison.Ordinal)
        || path.Equals("/ping", StringComparison.Ordinal)
        || path.Equals("/v2/health/live", StringComparison.Ordinal) || path.Equals("/v2/health/ready", StringComparison.Ordinal);

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken _)
    {
        var context = rejected.HttpContext;
        var retry = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after)
            ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture)
            : null;
        if (retry is not null)
        {
            // Added as the response starts: writing the error body clears the headers set before it.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.RetryAfter = retry;
                return Task.CompletedTask;
            });
        }

        await WireErrors.WriteAsync(
            context,
            ErrorCode.REQUEST_LIMIT_EXCEEDED,
            "Too many requests: the rate limit for this caller is exceeded." + (retry is null ? string.Empty : $" Retry after {retry} s.")).ConfigureAwait(false);
    }

    private static ForwardedHeadersOptions ForwardedHeaders(SecurityOptions security)
    {
        var forwarded = new ForwardedHeadersOptions
        {
            ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto
                | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedHost,
        };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        if (security.ForwardedAllowIps.Contains("*"))
        {
            // Any sender may set the headers: only right behind a proxy that every request passes through.
            forwarded.ForwardLimit = null;
            return forwarded;
        }

        foreach (var entry in security.ForwardedAllowIps)
        {
            if (IPAddress.TryParse(entry, out var address))
            {
                forwarded.KnownProxies.Add(address);
            }
            else
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(entry));
            }
        }

        return forwarded;
    }
}
