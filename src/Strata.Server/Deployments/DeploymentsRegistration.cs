using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Deployments;
using Strata.Storage.Database;
using Strata.Storage.Deployments;

namespace Strata.Server.Deployments;

public static class DeploymentsRegistration
{
    /// <summary>The deployment and service metrics stores on the backend database and the service over them.</summary>
    public static IServiceCollection AddStrataDeployments(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDeploymentStore>(sp => new DeploymentStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<IServiceMetricsStore>(sp => new ServiceMetricsStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<DeploymentService>();
        return services;
    }
}
