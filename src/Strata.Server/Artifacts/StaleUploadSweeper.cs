using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Strata.Core.Artifacts;
using Strata.Storage.Artifacts;

namespace Strata.Server.Artifacts;

/// <summary>Removes, once at start, temporary upload files that a crashed process left in a local destination.</summary>
internal sealed class StaleUploadSweeper(IServiceProvider services, IOptions<ArtifactsOptions> options, ILogger<StaleUploadSweeper> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ServeArtifacts)
        {
            return Task.CompletedTask;
        }

        if (services.GetService(typeof(IArtifactStore)) is IArtifactStore store && InstrumentedArtifactStore.Unwrap(store) is LocalArtifactStore local)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    var removed = local.SweepStaleTemporaryFiles(options.Value.StaleUploadAge);
                    if (removed > 0)
                    {
                        logger.LogInformation("Removed {Count} stale temporary upload files from {Location}", removed, local.Location);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    logger.LogWarning(e, "Could not sweep stale temporary upload files in {Location}", local.Location);
                }
            }, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
