using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Strata.Server.Hosting;

/// <summary>Shared route facts for every MLflow-compatible API.</summary>
public static class MlflowRoutes
{
    public const string ApiPrefix = "/api/2.0/mlflow";
    public const string AjaxPrefix = "/ajax-api/2.0/mlflow";

    /// <summary>Every MLflow REST endpoint is served under both prefixes (the UI uses <c>ajax-api</c>).</summary>
    public static IReadOnlyList<string> Prefixes { get; } = [ApiPrefix, AjaxPrefix];

    /// <summary>The MLflow version this server claims to be compatible with (<c>GET /version</c>).</summary>
    public const string CompatibleMlflowVersion = "3.6.0";

    /// <summary>Endpoint filter for tracking and registry routes when the server runs with <c>--artifacts-only</c>.</summary>
    public static ValueTask<object?> DisabledInArtifactsOnlyMode(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        ValueTask.FromResult<object?>(Results.Text(
            "Endpoint disabled due to the server running in --artifacts-only mode.", "text/plain", statusCode: StatusCodes.Status503ServiceUnavailable));

    /// <summary>
    /// Puts <see cref="DisabledInArtifactsOnlyMode"/> on a group of tracking, registry or automation routes when the
    /// server runs with <c>--artifacts-only</c> (decided once, at mapping; nothing is added to requests otherwise).
    /// </summary>
    public static TBuilder DisabledWhenArtifactsOnly<TBuilder>(this TBuilder builder, IServiceProvider services)
        where TBuilder : IEndpointConventionBuilder
    {
        if (services.GetRequiredService<IOptions<StrataServerOptions>>().Value.ArtifactsOnly)
        {
            builder.AddEndpointFilter(DisabledInArtifactsOnlyMode);
        }

        return builder;
    }
}
