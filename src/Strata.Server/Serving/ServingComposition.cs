using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Strata.Core.Deployments;
using Strata.Server.Hosting;
using Strata.Serving.Deployments;
using Strata.Serving.Hosting;
using Strata.Storage.Database;
using Strata.Storage.Serving;

namespace Strata.Server.Serving;

/// <summary>
/// Model serving inside <c>strata server</c>: each <c>--serve-model name=uri</c> is mounted under
/// <c>/serving/{name}/...</c> and <c>/v2/models/{name}/...</c>, <c>models:/</c> URIs resolve through this server's own
/// registry API, and predictions are logged to the backend store. The prediction log query endpoint is always on.
/// </summary>
public static class ServingComposition
{
    public static IServiceCollection AddStrataServing(this IServiceCollection services, StrataServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(sp => new PredictionLogStore(sp.GetRequiredService<IDatabase>()));
        if (options.LogRetention is { } retention)
        {
            services.AddHostedService(sp => new PredictionLogRetentionService(
                sp.GetRequiredService<IDatabase>(), retention, options.LogRetentionInterval, sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ILogger<PredictionLogRetentionService>>(), sp.GetService<IServiceMetricsStore>()));
        }

        // Every deployment in the database is served under /deployments/{name}, its models resolved through this
        // server's own registry API (so they load once the server listens).
        var selfServing = options.Serving with
        {
            TrackingIsSelf = true,
            TrackingAuthorization = options.Auth.InternalAuthorization,
            LoadInBackground = true,
            CacheDirectory = Path.Combine(Path.GetFullPath(options.ArtifactsDestination), "..", "model-cache"),
        };
        if (options.ServeModels.Count == 0)
        {
            services.AddStrataDeploymentServing(selfServing, only: null);
            return services;
        }

        List<ServeModelSpec> models;
        ServingOptions serving;
        try
        {
            models = options.ServeModels.Select(ServeModelSpec.Parse).ToList();
            serving = options.Serving with
            {
                Models = models,
                TrackingIsSelf = true,
                TrackingAuthorization = options.Auth.InternalAuthorization,
                LoadInBackground = true,
                CacheDirectory = Path.Combine(Path.GetFullPath(options.ArtifactsDestination), "..", "model-cache"),
            };
            serving.Validate();
        }
        catch (ArgumentException e)
        {
            throw new StrataConfigurationException(e.Message, e);
        }

        // The log store was registered above; AddStrataModelServing adds the queue and writer on top of it.
        services.AddStrataModelServing(serving, predictionLog: true);
        services.AddStrataDeploymentServing(serving, only: null);
        services.AddStrataServingTracing(Environment.GetEnvironmentVariable, "strata-server");
        return services;
    }

    public static WebApplication MapStrataServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPredictionLogApi();
        // Model inputs may be large: these endpoints take the large body limit.
        var data = app.MapGroup(string.Empty).WithMetadata(Security.LargeRequestBody.Instance);
        data.MapDeploymentServing();
        if (app.Services.GetService<ModelRouteTable>() is not null)
        {
            data.MapServingRoutes();
            data.MapOpenInference();
        }

        // Deployments are served by every strata server, so their Prometheus metrics are too.
        app.MapServingMetrics();

        return app;
    }
}
