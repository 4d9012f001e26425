using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Strata.Server.Security;

/// <summary>
/// Headers every answer carries: no MIME sniffing, framing only as configured (MLflow's defaults), no referrer to
/// other sites, and HSTS when Strata itself terminates TLS. Set when the response starts, so error answers that
/// rewrite the response keep them.
/// </summary>
public sealed class SecurityHeadersMiddleware(RequestDelegate next, IOptions<SecurityOptions> options)
{
    private readonly string? _frameOptions = options.Value.XFrameOptions.Equals("NONE", StringComparison.OrdinalIgnoreCase)
        ? null
        : options.Value.XFrameOptions.ToUpperInvariant();

    private readonly bool _hsts = options.Value.UseTls;

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var (self, response) = ((SecurityHeadersMiddleware, HttpResponse))state;
            var headers = response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "same-origin";
            if (self._frameOptions is not null)
            {
                headers.XFrameOptions = self._frameOptions;
            }

            if (self._hsts)
            {
                headers.StrictTransportSecurity = "max-age=31536000";
            }

            return Task.CompletedTask;
        }, (this, context.Response));
        return next(context);
    }
}
