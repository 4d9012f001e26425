using Microsoft.Extensions.DependencyInjection;
using Strata.Storage.Database;

namespace Strata.Server.Hosting;

public static class StorageRegistration
{
    /// <summary>The opened backend database and the stores built on it. The container disposes the database.</summary>
    public static IServiceCollection AddStrataStorage(this IServiceCollection services, IDatabase database)
    {
        services.AddSingleton(_ => database);
        return services;
    }
}
