using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Core.Artifacts;
using Strata.Server.Hosting;
using Strata.Storage.Artifacts;

namespace Strata.Server.Artifacts;

public static class ArtifactsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the artifact proxy: <see cref="ArtifactsOptions"/>, the <see cref="IArtifactStore"/> of the
    /// artifacts destination, an <see cref="ArtifactStoreFactory"/> for artifact URIs the server opens
    /// directly, and a start-up sweep of uploads a dead process left behind.
    /// </summary>
    public static IServiceCollection AddStrataArtifacts(this IServiceCollection services, Action<ArtifactsOptions>? configure = null)
    {
        // Inside the Strata server the flags come from its options (--serve-artifacts, --artifacts-destination).
        var options = services.AddOptions<ArtifactsOptions>().Configure<IServiceProvider>((o, sp) =>
        {
            if (sp.GetService<IOptions<StrataServerOptions>>()?.Value is { } server)
            {
                o.ServeArtifacts = server.ServeArtifacts;
                o.ArtifactsDestination = server.ArtifactsDestination;
                o.SyncLocalWrites = server.ArtifactsFsync;
            }
        });
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => new ArtifactStoreFactory(
            Environment.GetEnvironmentVariable,
            sp.GetRequiredService<IOptions<ArtifactsOptions>>().Value.SyncLocalWrites));
        services.TryAddSingleton<IArtifactStore>(sp =>
        {
            var store = sp.GetRequiredService<ArtifactStoreFactory>().Create(sp.GetRequiredService<IOptions<ArtifactsOptions>>().Value.ArtifactsDestination);
            return sp.GetService<IMeterFactory>() is { } meters ? new InstrumentedArtifactStore(store, meters) : store;
        });
        services.TryAddSingleton<ArtifactLocationResolver>();
        services.AddHostedService<StaleUploadSweeper>();
        return services;
    }
}
