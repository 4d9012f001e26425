using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Strata.Core.Tracking;
using Strata.Server.Artifacts;
using Strata.Server.Auth;
using Strata.Server.Deployments;
using Strata.Server.Hosting;
using Strata.Server.Jobs;
using Strata.Server.Monitoring;
using Strata.Server.Policies;
using Strata.Server.Registry;
using Strata.Server.Security;
using Strata.Server.Serving;
using Strata.Server.Traces;
using Strata.Server.Tracking;
using Strata.Server.Webhooks;
using Strata.Server.Ui;
using Strata.Server.Wire;
using Strata.Serving.Hosting;
using Strata.Storage.Database;

namespace Strata.Server;

/// <summary>
/// Builds the Strata server; the CLI and the tests both start it from here. Each capability
/// adds one <c>AddXxx</c> line in <see cref="AddStrataServices"/> and one <c>MapXxxApi</c> line in <see cref="MapStrata"/>.
/// </summary>
public static class StrataServer
{
    /// <summary>
    /// Validates the options, opens and migrates the backend store, and returns the app with every
    /// API mapped and experiment "0" present. Throws <see cref="StrataConfigurationException"/> or
    /// <see cref="BackendStoreException"/> (one-line messages) for bad settings.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(
        StrataServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null, CancellationToken ct = default)
    {
        options.Validate();
        if (options.ServeArtifacts)
        {
            StartupChecks.EnsureWritableDirectory(options.ArtifactsDestination, "--artifacts-destination");
        }

        var builder = StrataWebHost.CreateBuilder(
            typeof(StrataServer).Assembly.GetName().Name, options.Host, options.Port, args, TlsCertificate.Load(options.Security));
        builder.Services.AddSingleton(Options.Create(options));

        var database = await BackendStore.OpenAsync(options.BackendStoreUri, null, ct).ConfigureAwait(false);
        WebApplication app;
        try
        {
            builder.Services.AddStrataStorage(database);
            builder.Services.AddStrataServices();
            builder.Services.AddStrataServing(options);
            configure?.Invoke(builder);
            app = builder.Build();
        }
        catch
        {
            await database.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().ToUnixTimeMilliseconds();
            await app.Services.GetRequiredService<ITrackingStore>()
                .EnsureDefaultExperimentAsync(options.DefaultArtifactRoot, now, ct).ConfigureAwait(false);
            await app.EnsureAuthReadyAsync(ct).ConfigureAwait(false);
            app.MapStrata();
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return app;
    }

    /// <summary>The services of every capability.</summary>
    public static IServiceCollection AddStrataServices(this IServiceCollection services)
    {
        services.AddStrataTracking();
        services.AddStrataArtifacts();
        services.AddStrataRegistry();
        services.AddStrataWebhooks();
        services.AddStrataPolicies();
        services.AddStrataJobs();
        services.AddStrataDeployments();
        services.AddStrataMonitoring();
        services.AddStrataTraces();
        services.AddStrataUi();
        services.AddStrataSecurity();
        services.AddStrataAuth();
        return services;
    }

    /// <summary>The middleware and every capability's endpoints.</summary>
    public static WebApplication MapStrata(this WebApplication app)
    {
        app.UseStrataSecurity();
        app.UseMiddleware<RequestLoggingMiddleware>();
        app.UseMiddleware<MlflowErrorMiddleware>();
        app.UseStrataAuth();
        // After authentication, so a signed-in caller is limited by name rather than by address.
        app.UseStrataRateLimiting();
        app.MapSystemApi();
        app.MapTrackingApi();
        app.MapArtifactsApi();
        app.MapRunArtifactsApi(routes => routes.DisabledWhenArtifactsOnly(app.Services));
        app.MapRegistryApi();
        app.MapWebhooksApi();
        app.MapPoliciesApi();
        app.MapJobsApi();
        app.MapDeploymentsApi();
        app.MapMonitoringApi();
        app.MapTracesApi();
        app.MapStrataServing();
        app.MapStrataUi();
        app.MapStrataAuth();
        return app;
    }

    /// <summary>The addresses Kestrel listens on once started (with the real port when 0 was asked).</summary>
    public static IReadOnlyList<string> ListeningAddresses(this WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.ToList() ?? [];
}
