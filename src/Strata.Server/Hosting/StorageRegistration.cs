using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Tracking;
using Strata.Storage.Database;
using Strata.Storage.Tracking;

namespace Strata.Server.Hosting;

public static class StorageRegistration
{
    /// <summary>The opened backend database and the stores built on it. The container disposes the database.</summary>
    public static IServiceCollection AddStrataStorage(this IServiceCollection services, IDatabase database)
    {
        services.AddSingleton(_ => database);
        services.TryAddSingleton<ITrackingStore>(_ => new TrackingStore(database));
        return services;
    }
}
