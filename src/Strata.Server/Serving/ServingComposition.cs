using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Strata.Server.Hosting;
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
        if (options.ServeModels.Count == 0)
        {
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
        services.AddStrataServingTracing(Environment.GetEnvironmentVariable, "strata-server");
        return services;
    }

    public static WebApplication MapStrataServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPredictionLogApi();
        if (app.Services.GetService<ModelRouteTable>() is not null)
        {
            app.MapServingRoutes();
            app.MapOpenInference();
            app.MapServingMetrics();
        }

        return app;
    }
}
