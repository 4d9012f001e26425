using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Strata.Core.Deployments;
using Strata.Core.Errors;
using Strata.Serving.Batching;
using Strata.Serving.Hosting;
using Strata.Serving.Models;

namespace Strata.Serving.Deployments;

/// <summary>
/// Keeps this process's deployment routes in step with the database. Every <see cref="ServingOptions.DeploymentPollInterval"/>
/// it reads each deployment's current revision (one indexed read) and re-resolves the aliases its route names; when the
/// revision or a resolved version changed it loads what the new route needs beside the old route, reusing the loaded
/// versions both share, swaps the snapshot atomically and drains the versions the new route dropped once their
/// in-flight requests finish. No request is refused during a change: until the swap the old route serves everything.
/// </summary>
public sealed partial class DeploymentRouteLoader(
    DeploymentRouteTable routes,
    IDeploymentStore store,
    ModelResolver resolver,
    ModelRuntimeLoader runtimeLoader,
    ServingOptions options,
    ServingMetrics metrics,
    ILogger<DeploymentRouteLoader> logger,
    IHostApplicationLifetime? lifetime = null) : BackgroundService
{
    private readonly Dictionary<string, DeploymentRevision> _revisions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _polling = new(1, 1);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.LoadInBackground && routes.Only is not null)
        {
            // A standalone server for one deployment fails at start when it cannot serve it, as models serve does.
            if (await store.GetAsync(routes.Only, cancellationToken).ConfigureAwait(false) is null)
            {
                throw DeploymentService.NotFound(routes.Only);
            }

            await PollAsync(throwOnError: true, cancellationToken).ConfigureAwait(false);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        foreach (var router in routes.Routers)
        {
            if (router.Swap(null) is { } old)
            {
                foreach (var model in old.Models.Distinct())
                {
                    await model.DrainAndDisposeAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
    }

    public override void Dispose()
    {
        _polling.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.DeploymentPollInterval);
        try
        {
            if (options.TrackingIsSelf && lifetime is not null && !lifetime.ApplicationStarted.IsCancellationRequested)
            {
                // Models resolve through this server's own API, which answers once the server listens.
                var started = new TaskCompletionSource();
                using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
                await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            do
            {
                await PollAsync(throwOnError: false, stoppingToken).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One pass over every deployment (tests call it to converge without waiting for the timer).</summary>
    public async Task PollAsync(bool throwOnError, CancellationToken ct)
    {
        await _polling.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            IReadOnlyList<DeploymentPointer> pointers;
            try
            {
                pointers = routes.Only is null
                    ? await store.ListPointersAsync(ct).ConfigureAwait(false)
                    : await store.GetAsync(routes.Only, ct).ConfigureAwait(false) is { } one ? [new DeploymentPointer(one.Name, one.CurrentRevision)] : [];
            }
            catch (Exception e) when (e is not OperationCanceledException && !throwOnError)
            {
                LogPollFailed(logger, e);
                return;
            }

            var live = pointers.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var router in routes.Routers.Where(r => !live.Contains(r.Name)).ToList())
            {
                // Deleted: later requests get 404; requests in flight finish on the models they leased.
                routes.TryRemove(router.Name, out _);
                _revisions.Remove(router.Name);
                if (router.Swap(null) is { } old)
                {
                    Drain(old.Models.Distinct());
                }

                LogRemoved(logger, router.Name);
            }

            foreach (var pointer in pointers)
            {
                try
                {
                    await RefreshAsync(pointer, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException && !throwOnError)
                {
                    // Keep serving the route we have; the next poll tries again.
                    LogRefreshFailed(logger, e, pointer.Name, pointer.CurrentRevision);
                }
            }
        }
        finally
        {
            _polling.Release();
        }
    }

    private async Task RefreshAsync(DeploymentPointer pointer, CancellationToken ct)
    {
        if (!_revisions.TryGetValue(pointer.Name, out var revision) || revision.Revision != pointer.CurrentRevision)
        {
            var deployment = await store.GetAsync(pointer.Name, ct).ConfigureAwait(false);
            if (deployment is null)
            {
                return;
            }

            revision = deployment.Current;
            _revisions[pointer.Name] = revision;
        }

        var spec = revision.Spec;
        var settings = spec.Settings ?? DeploymentSettings.Default;
        var batching = new BatchingOptions
        {
            Enabled = settings.EnableBatching ?? options.Batching.Enabled,
            MaxBatchSize = settings.MaxBatchSize ?? options.Batching.MaxBatchSize,
            MaxDelay = settings.MaxBatchDelayMs is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Batching.MaxDelay,
        };

        var legs = new List<(ModelTarget Declared, string Version, double Weight)>();
        foreach (var target in spec.Route)
        {
            legs.Add((target.Model, await ResolveAsync(target.Model, ct).ConfigureAwait(false), target.Weight));
        }

        var shadowVersion = spec.Shadow is null ? null : await ResolveAsync(spec.Shadow, ct).ConfigureAwait(false);
        var key = string.Join('|',
            revision.Revision.ToString(CultureInfo.InvariantCulture),
            string.Join(',', legs.Select(l => l.Declared.ModelName + "/" + l.Version)),
            spec.Shadow is null ? "-" : spec.Shadow.ModelName + "/" + shadowVersion,
            batching.ToString());
        var router = routes.GetOrAdd(pointer.Name);
        var current = router.Current;
        if (current?.ResolvedKey == key)
        {
            return;
        }

        // Versions the current route already runs with the same batching are reused as they are: no reload, no cold start.
        var reusable = current is not null && current.ResolvedKey.EndsWith("|" + batching, StringComparison.Ordinal)
            ? current.Targets.Select(t => t.Model).Distinct().ToDictionary(m => (m.Name, m.Version))
            : [];
        var loaded = new Dictionary<(string, string), ServedModel>();
        var created = new List<ServedModel>();
        try
        {
            async Task<ServedModel> ModelAsync(ModelTarget declared, string version)
            {
                var id = (declared.ModelName, version);
                if (loaded.TryGetValue(id, out var model) || reusable.TryGetValue(id, out model))
                {
                    loaded[id] = model;
                    return model;
                }

                var uri = ModelUri.Parse(declared.ModelUri);
                var files = await resolver.DownloadAsync(uri, version, ct).ConfigureAwait(false);
                var runtime = await runtimeLoader.LoadAsync(files.Folder, ct).ConfigureAwait(false);
                model = new ServedModel(declared.ModelName, version, declared.ModelUri, runtime, batching, metrics);
                created.Add(model);
                loaded[id] = model;
                return model;
            }

            var targets = new List<(ModelTarget, ServedModel, double)>();
            foreach (var (declared, version, weight) in legs)
            {
                targets.Add((declared, await ModelAsync(declared, version).ConfigureAwait(false), weight));
            }

            // The shadow is a model of its own even when a route leg serves the same version: it runs unbatched on the
            // shadow's low-priority threads (see ShadowMirror), so it must not share a leg's batcher.
            ServedModel? shadow = null;
            if (spec.Shadow is not null)
            {
                if (current?.Shadow is { } previous && previous.Name == spec.Shadow.ModelName && previous.Version == shadowVersion)
                {
                    shadow = previous;
                }
                else
                {
                    var uri = ModelUri.Parse(spec.Shadow.ModelUri);
                    var files = await resolver.DownloadAsync(uri, shadowVersion!, ct).ConfigureAwait(false);
                    var runtime = await runtimeLoader.LoadAsync(files.Folder, ct).ConfigureAwait(false);
                    shadow = new ServedModel(spec.Shadow.ModelName, shadowVersion!, spec.Shadow.ModelUri, runtime, new BatchingOptions { Enabled = false }, metrics);
                    created.Add(shadow);
                }
            }

            var snapshot = new DeploymentSnapshot(
                pointer.Name, revision.Revision, DeploymentSnapshot.Build(targets), shadow, spec.StickyKey,
                settings.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : options.RequestTimeout,
                settings.LogSampleRate, key);
            var old = router.Swap(snapshot);
            if (old is not null)
            {
                var kept = snapshot.Models.ToHashSet();
                Drain(old.Models.Distinct().Where(m => !kept.Contains(m)));
            }

            LogSwapped(logger, pointer.Name, revision.Revision,
                string.Join(", ", snapshot.Targets.Select(t => $"{t.Model.Name}/{t.Model.Version}={t.Weight.ToString(CultureInfo.InvariantCulture)}")),
                shadow is null ? "none" : $"{shadow.Name}/{shadow.Version}", old?.Revision);
        }
        catch
        {
            foreach (var model in created)
            {
                await model.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    private async Task<string> ResolveAsync(ModelTarget target, CancellationToken ct) =>
        target.Version is { } v
            ? v.ToString(CultureInfo.InvariantCulture)
            : await resolver.ResolveVersionAsync(ModelUri.Parse(target.ModelUri), ct).ConfigureAwait(false);

    private void Drain(IEnumerable<ServedModel> models)
    {
        foreach (var model in models)
        {
            // Not awaited: the old version finishes its in-flight requests in the background.
            _ = model.DrainAndDisposeAsync(options.DrainTimeout, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {Deployment} serves revision {Revision}: {Route}; shadow {Shadow} (was revision {OldRevision})")]
    private static partial void LogSwapped(ILogger logger, string deployment, long revision, string route, string shadow, long? oldRevision);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment {Deployment} was deleted; no longer served")]
    private static partial void LogRemoved(ILogger logger, string deployment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not load deployment {Deployment} revision {Revision}; still serving the route loaded before")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string deployment, long revision);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the deployments; keeping the routes loaded")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
