using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Strata.Server.Hosting;

/// <summary><c>GET /health</c> and <c>GET /version</c>, plain text as MLflow serves them.</summary>
public static class SystemApi
{
    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", static () => Results.Text("OK", "text/plain"));
        app.MapGet("/version", static () => Results.Text(MlflowRoutes.CompatibleMlflowVersion, "text/plain"));
        return app;
    }
}
