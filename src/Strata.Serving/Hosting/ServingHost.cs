using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Strata.Serving.Deployments;
using Strata.Storage.Database;

namespace Strata.Serving.Hosting;

/// <summary>Where <c>strata models serve</c> listens and logs.</summary>
public sealed record ServingHostOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>0 picks a free port (tests).</summary>
    public int Port { get; init; } = 5001;

    /// <summary>The database the prediction log goes to; null turns the log off.</summary>
    public string? BackendStoreUri { get; init; }

    public required ServingOptions Serving { get; init; }

    /// <summary>Serve this deployment (read from <see cref="BackendStoreUri"/>, which it then needs) instead of, or beside, the models.</summary>
    public string? Deployment { get; init; }

    /// <summary>Serve HTTPS with this certificate (and its private key); null serves HTTP.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }
}

/// <summary>
/// The standalone scoring server of <c>strata models serve</c>: the first model's MLflow scoring protocol at the root
/// (as <c>mlflow models serve</c>), every model under <c>/serving/{name}</c>, the v2 protocol, <c>/metrics</c> and,
/// with a backend store, the prediction log and its query endpoint.
/// </summary>
public static class ServingHost
{
    /// <param name="configureApp">Middleware ahead of every endpoint (the CLI's network protections and tokens).</param>
    public static async Task<WebApplication> BuildAsync(
        ServingHostOptions options, Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? configureApp = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Deployment is null || options.Serving.Models.Count > 0)
        {
            options.Serving.Validate();
        }
        else
        {
            options.Serving.ValidateSettings();
        }

        if (options.Deployment is not null && string.IsNullOrWhiteSpace(options.BackendStoreUri))
        {
            throw new ArgumentException("--deployment needs --backend-store-uri: the database the deployment is read from.");
        }
        var builder = StrataWebHost.CreateBuilder(typeof(ServingHost).Assembly.GetName().Name, options.Host, options.Port, certificate: options.Certificate);

        IDatabase? database = null;
        if (!string.IsNullOrWhiteSpace(options.BackendStoreUri))
        {
            database = await BackendStore.OpenAsync(options.BackendStoreUri, null, ct).ConfigureAwait(false);
            var opened = database;
            builder.Services.AddSingleton(_ => opened);
        }

        WebApplication app;
        try
        {
            if (options.Serving.Models.Count > 0)
            {
                builder.Services.AddStrataModelServing(options.Serving, predictionLog: database is not null);
            }

            if (options.Deployment is not null)
            {
                builder.Services.AddStrataDeploymentServing(options.Serving, options.Deployment);
            }

            builder.Services.AddStrataServingTracing(Environment.GetEnvironmentVariable, "strata-serving");
            configure?.Invoke(builder);
            app = builder.Build();
        }
        catch
        {
            if (database is not null)
            {
                await database.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        configureApp?.Invoke(app);
        if (options.Serving.Models.Count > 0)
        {
            var first = app.Services.GetRequiredService<ModelRouteTable>().Find(options.Serving.Models[0].Name)!;
            app.MapScoringProtocol(string.Empty, first);
            app.MapServingRoutes();
            app.MapOpenInference();
        }

        if (options.Deployment is not null)
        {
            app.MapDeploymentServing();
            if (options.Serving.Models.Count == 0)
            {
                app.MapDeploymentAtRoot(options.Deployment);
            }
        }

        app.MapServingMetrics();
        if (database is not null)
        {
            app.MapPredictionLogApi();
        }

        return app;
    }
}
