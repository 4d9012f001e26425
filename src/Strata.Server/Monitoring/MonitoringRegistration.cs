using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Core.Deployments;
using Strata.Core.Monitoring;
using Strata.Core.Registry;
using Strata.Core.Tracking;
using Strata.Server.Hosting;
using Strata.Storage.Artifacts;
using Strata.Storage.Database;
using Strata.Storage.Deployments;
using Strata.Storage.Monitoring;

namespace Strata.Server.Monitoring;

public static class MonitoringRegistration
{
    /// <summary>
    /// Monitoring's store, service and background work. A deployment's versions are its routed ones
    /// (<see cref="RoutedDeploymentVersions"/>); a name that is no deployment is read as a registered model's name.
    /// </summary>
    public static IServiceCollection AddStrataMonitoring(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => Options.Create(sp.GetRequiredService<IOptions<StrataServerOptions>>().Value.Monitoring));
        services.TryAddSingleton<IMonitoringStore>(sp => new MonitoringStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<IPredictionWindowSource>(sp => new PredictionWindowReader(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton(sp => new MonitoringEventReader(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<IReferenceDataSource>(sp => new RunDatasetReader(
            sp.GetRequiredService<IRegistryStore>(), sp.GetRequiredService<ITrackingStore>(), sp.GetRequiredService<ArtifactLocationResolver>()));
        services.TryAddSingleton<ModelNamedDeployments>();
        services.TryAddSingleton<IDeploymentVersions>(sp => sp.GetService<IDeploymentStore>() is { } deployments
            ? new RoutedDeploymentVersions(deployments, sp.GetRequiredService<IRegistryStore>(), sp.GetRequiredService<ModelNamedDeployments>())
            : sp.GetRequiredService<ModelNamedDeployments>());
        services.TryAddSingleton<MonitoringService>();
        services.TryAddSingleton<DriftScheduler>();
        services.TryAddSingleton<IServiceMetricsStore>(sp => new ServiceMetricsStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<ServiceAlertEvaluator>();
        services.TryAddSingleton<ServiceAlertScheduler>();
        services.TryAddSingleton<RegisteredVersionProfiler>();
        services.AddHostedService(sp => sp.GetRequiredService<DriftScheduler>());
        services.AddHostedService(sp => sp.GetRequiredService<RegisteredVersionProfiler>());
        services.AddHostedService(sp => sp.GetRequiredService<ServiceAlertScheduler>());
        return services;
    }
}
