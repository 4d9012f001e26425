using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Strata.Core.Traces;
using Strata.Core.Tracking;
using Strata.Storage.Artifacts;
using Strata.Storage.Database;
using Strata.Storage.Traces;

namespace Strata.Server.Traces;

public static class TracesRegistration
{
    /// <summary>The trace store on the backend database, span data through the artifact resolver, and the service over them.</summary>
    public static IServiceCollection AddStrataTraces(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ITraceStore>(sp => new TraceStore(sp.GetRequiredService<IDatabase>()));
        services.TryAddSingleton<ITraceArtifacts>(sp => new TraceArtifacts(sp.GetRequiredService<ArtifactLocationResolver>()));
        services.TryAddSingleton(sp => new TraceService(
            sp.GetRequiredService<ITraceStore>(), sp.GetRequiredService<ITrackingStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ITraceArtifacts>()));
        return services;
    }
}
