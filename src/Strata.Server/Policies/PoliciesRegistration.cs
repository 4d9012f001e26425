using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Policies;
using Strata.Storage.Database;
using Strata.Storage.Policies;

namespace Strata.Server.Policies;

public static class PoliciesRegistration
{
    /// <summary>The policy store, engine and service, and the background worker that evaluates new versions.</summary>
    public static IServiceCollection AddStrataPolicies(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPolicyStore>(sp => new PolicyStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<PolicyEngine>();
        services.TryAddSingleton<PolicyService>();
        services.AddHostedService<PolicyWorker>();
        return services;
    }
}
