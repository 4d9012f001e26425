using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Strata.Core.Tracking;
using Strata.Server.Hosting;

namespace Strata.Server.Tracking;

public static class TrackingRegistration
{
    /// <summary>The tracking service and what it needs besides the store (registered with the backend).</summary>
    public static IServiceCollection AddStrataTracking(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RunNameGenerator>();
        services.TryAddSingleton(sp => new TrackingSettings(sp.GetRequiredService<IOptions<StrataServerOptions>>().Value.DefaultArtifactRoot));
        services.TryAddSingleton<TrackingService>();
        return services;
    }
}
