using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Registry;
using Strata.Storage.Database;
using Strata.Storage.Registry;

namespace Strata.Server.Registry;

public static class RegistryRegistration
{
    /// <summary>The registry store on the backend database and the service over it.</summary>
    public static IServiceCollection AddStrataRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IRegistryStore>(sp => new RegistryStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<RegistryService>();
        return services;
    }
}
