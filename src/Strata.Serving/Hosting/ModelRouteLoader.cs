using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Serving.Models;

namespace Strata.Serving.Hosting;

/// <summary>
/// Loads every route's model at start (the process does not serve until they are loaded), then polls routes that
/// follow an alias, stage or "latest" and hot-swaps them: the new version is downloaded and loaded beside the old,
/// the route is switched atomically, and the old version is disposed once its in-flight requests have finished.
/// </summary>
public sealed partial class ModelRouteLoader(
    ModelRouteTable routes,
    ModelResolver resolver,
    ModelRuntimeLoader runtimeLoader,
    ServingOptions options,
    ServingMetrics metrics,
    ILogger<ModelRouteLoader> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.LoadInBackground)
        {
            foreach (var route in routes.Routes)
            {
                await RefreshAsync(route, cancellationToken).ConfigureAwait(false);
            }
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var route in routes.Routes)
        {
            if (route.Clear() is { } old)
            {
                await old.DrainAndDisposeAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Loads the route's version if it changed (or none is loaded). Returns true when it swapped.</summary>
    public async Task<bool> RefreshAsync(ModelRoute route, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        var uri = ModelUri.Parse(route.Uri);
        var version = await resolver.ResolveVersionAsync(uri, ct).ConfigureAwait(false);
        if (route.Current?.Version == version)
        {
            return false;
        }

        var resolved = await resolver.DownloadAsync(uri, version, ct).ConfigureAwait(false);
        var runtime = await runtimeLoader.LoadAsync(resolved.Folder, ct).ConfigureAwait(false);
        var next = new ServedModel(route.Name, resolved.Version, route.Uri, runtime, options.Batching, metrics);
        var old = route.Swap(next);
        LogLoaded(logger, route.Name, resolved.Version, runtime.Flavor, route.Uri, old?.Version);
        if (old is not null)
        {
            // Not awaited by the caller's request path: the old version drains in the background.
            _ = old.DrainAndDisposeAsync(options.DrainTimeout, CancellationToken.None);
        }

        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var moving = routes.Routes.Where(r => ModelUri.Parse(r.Uri).CanMove).ToList();
        if (moving.Count == 0 && routes.AllReady)
        {
            return;
        }

        // Until every route has loaded once, retry at least every second.
        var retry = options.PollInterval < TimeSpan.FromSeconds(1) ? options.PollInterval : TimeSpan.FromSeconds(1);
        using var timer = new PeriodicTimer(routes.AllReady ? options.PollInterval : retry);
        var first = true;
        try
        {
            while (first || await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                first = false;
                var due = routes.Routes.Where(r => r.Current is null || moving.Contains(r)).ToList();
                if (due.Count == 0)
                {
                    return;
                }

                if (routes.AllReady && timer.Period != options.PollInterval)
                {
                    timer.Period = options.PollInterval;
                }

                foreach (var route in due)
                {
                    try
                    {
                        await RefreshAsync(route, stoppingToken).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        // Keep serving the version we have; the next poll tries again.
                        LogRefreshFailed(logger, e, route.Name, route.Uri);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Serving {ModelName} version {ModelVersion} ({Flavor}) from {ModelUri}; replaced version {OldVersion}")]
    private static partial void LogLoaded(ILogger logger, string modelName, string modelVersion, string flavor, string modelUri, string? oldVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not refresh {ModelName} from {ModelUri}; still serving the loaded version")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string modelName, string modelUri);
}
