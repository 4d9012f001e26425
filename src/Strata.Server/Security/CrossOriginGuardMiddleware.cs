using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Security;

/// <summary>
/// Refuses state-changing API calls that a browser makes from another site (a form or <c>fetch</c> on a page the user
/// happens to visit reaching a server on their machine or network): a POST, PUT, PATCH or DELETE under <c>/api/</c>
/// or <c>/ajax-api/</c> whose <c>Origin</c> is neither this server, a localhost page, nor an allowed origin answers
/// 403 PERMISSION_DENIED. Clients other than browsers send no Origin and are not affected.
/// </summary>
public sealed class CrossOriginGuardMiddleware(RequestDelegate next, IOptions<SecurityOptions> options)
{
    private readonly HashSet<string> _allowed = new(options.Value.CorsAllowedOrigins, StringComparer.OrdinalIgnoreCase);
    private readonly bool _any = options.Value.CorsAllowedOrigins.Contains("*");

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (_any || !IsStateChanging(request.Method) || !IsApi(request.Path))
        {
            return next(context);
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || IsAllowed(origin, request))
        {
            return next(context);
        }

        return WireErrors.WriteAsync(
            context, ErrorCode.PERMISSION_DENIED, $"Cross-origin request blocked: origin '{origin}' is not allowed (see --cors-allowed-origins).");
    }

    private bool IsAllowed(string origin, HttpRequest request)
    {
        if (_allowed.Contains(origin))
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri))
        {
            return false;
        }

        // The server's own pages, and pages served from this machine (MLflow allows localhost origins the same way).
        return (uri.Scheme == request.Scheme && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase))
            || uri.IsLoopback;
    }

    private static bool IsStateChanging(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    private static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.Ordinal) || path.StartsWithSegments("/ajax-api", StringComparison.Ordinal);
}
