using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Strata.Server.Security;

/// <summary>
/// Headers every answer carries: no MIME sniffing, framing only as configured (MLflow's defaults), no referrer to
/// other sites, and HSTS when Strata itself terminates TLS. Set when the response starts, so error answers that
/// rewrite the response keep them.
/// </summary>
public sealed class SecurityHeadersMiddleware
{
    private readonly RequestDelegate _next;
    private readonly string? _frameOptions;
    private readonly bool _hsts;

    // One callback for the middleware's lifetime, given the response as its state: registering it costs no closure
    // or boxed tuple per request (this runs on every request the server answers).
    private readonly Func<object, Task> _onStarting;

    public SecurityHeadersMiddleware(RequestDelegate next, IOptions<SecurityOptions> options)
    {
        _next = next;
        _frameOptions = options.Value.XFrameOptions.Equals("NONE", StringComparison.OrdinalIgnoreCase)
            ? null
            : options.Value.XFrameOptions.ToUpperInvariant();
        _hsts = options.Value.UseTls;
        _onStarting = SetHeaders;
    }

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(_onStarting, context.Response);
        return _next(context);
    }

    private Task SetHeaders(object state)
    {
        var headers = ((HttpResponse)state).Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        if (_frameOptions is not null)
        {
            headers.XFrameOptions = _frameOptions;
        }

        if (_hsts)
        {
            headers.StrictTransportSecurity = "max-age=31536000";
        }

        return Task.CompletedTask;
    }
}
