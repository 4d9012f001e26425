using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Strata.Core.Errors;
using Strata.Server.Wire;

namespace Strata.Server.Security;

/// <summary>
/// A standalone scoring server's sign-in: every request but the health probes needs <c>Authorization: Bearer</c> with one
/// of <see cref="ServeTokens"/> (what KServe and MLflow clients send as <c>MLFLOW_TRACKING_TOKEN</c>); otherwise 401
/// UNAUTHENTICATED in MLflow's error JSON. The token itself is never logged or echoed.
/// </summary>
public sealed class ServeTokenMiddleware(RequestDelegate next, ServeTokens tokens)
{
    private const string Scheme = "Bearer";

    public Task InvokeAsync(HttpContext context)
    {
        if (SecurityRegistration.IsProbe(context.Request.Path))
        {
            return next(context);
        }

        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase)
            && tokens.Accepts(header[(Scheme.Length + 1)..].Trim(), out var caller))
        {
            context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, caller)], Scheme));
            return next(context);
        }

        return WireErrors.WriteAsync(
            context,
            ErrorCode.UNAUTHENTICATED,
            header.Length == 0 ? "This scoring server needs a bearer token: send Authorization: Bearer <token>." : "The bearer token is not valid for this scoring server.",
            headers: new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer realm=\"Strata\"" });
    }
}
