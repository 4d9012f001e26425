using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Jobs;
using Strata.Storage.Database;
using Strata.Storage.Jobs;

namespace Strata.Server.Jobs;

public static class JobsRegistration
{
    /// <summary>The job store and service, the local process runner and the scheduler that claims and runs executions.</summary>
    public static IServiceCollection AddStrataJobs(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IJobStore>(sp => new JobStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<JobService>();
        services.TryAddSingleton<JobRunTracking>();
        services.TryAddSingleton<LocalJobRunner>();
        services.TryAddSingleton<KubernetesJobRunner>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobRunner, LocalJobRunner>(sp => sp.GetRequiredService<LocalJobRunner>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobRunner, KubernetesJobRunner>(sp => sp.GetRequiredService<KubernetesJobRunner>()));
        services.AddHostedService<JobScheduler>();
        return services;
    }
}
