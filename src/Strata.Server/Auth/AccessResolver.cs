using System.Collections.Concurrent;
using Strata.Core.Auth;
using Strata.Core.Traces;
using Strata.Core.Tracking;

namespace Strata.Server.Auth;

/// <summary>
/// Finds which experiment a run, trace or logged model belongs to (never changes once created, so it is cached), and
/// what a user may do on a resource: the user's explicit grants (loaded once per auth version) or the default.
/// </summary>
public sealed class AccessResolver(IAuthStore store, ITrackingStore tracking, ITraceStore traces, AuthSettings settings, AuthVersionMonitor versions)
{
    private const int MaxCachedOwners = 200_000;

    private readonly ConcurrentDictionary<string, string> _experimentOf = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, (long Version, UserGrants Grants)> _grants = new();

    public async ValueTask<UserGrants> GrantsAsync(long userId, CancellationToken ct)
    {
        var version = await versions.CurrentAsync(ct).ConfigureAwait(false);
        if (_grants.TryGetValue(userId, out var cached) && cached.Version == version)
        {
            return cached.Grants;
        }

        var grants = await store.GetGrantsAsync(userId, ct).ConfigureAwait(false);
        if (_grants.Count > 10_000)
        {
            _grants.Clear();
        }

        _grants[userId] = (version, grants);
        return grants;
    }

    public Permission DefaultPermission => settings.DefaultPermission;

    public async ValueTask<Permission> ExperimentAsync(StrataUser user, string experimentId, CancellationToken ct) =>
        (await GrantsAsync(user.Id, ct).ConfigureAwait(false)).Experiments.GetValueOrDefault(experimentId, settings.DefaultPermission);

    public async ValueTask<Permission> RegisteredModelAsync(StrataUser user, string name, CancellationToken ct) =>
        (await GrantsAsync(user.Id, ct).ConfigureAwait(false)).RegisteredModels.GetValueOrDefault(name, settings.DefaultPermission);

    public async ValueTask<Permission> DeploymentAsync(StrataUser user, string name, CancellationToken ct) =>
        (await GrantsAsync(user.Id, ct).ConfigureAwait(false)).Deployments.GetValueOrDefault(name, settings.DefaultPermission);

    public ValueTask<string?> ExperimentOfRunAsync(string runId, CancellationToken ct) =>
        OwnerAsync("r:" + runId, async token => (await tracking.GetRunAsync(runId, token).ConfigureAwait(false))?.Info.ExperimentId, ct);

    public ValueTask<string?> ExperimentOfTraceAsync(string traceId, CancellationToken ct) =>
        OwnerAsync("t:" + traceId, async token => (await traces.GetTraceInfoAsync(traceId, token).ConfigureAwait(false))?.ExperimentId, ct);

    public ValueTask<string?> ExperimentOfLoggedModelAsync(string modelId, CancellationToken ct) =>
        OwnerAsync("m:" + modelId, async token => (await tracking.GetLoggedModelAsync(modelId, token).ConfigureAwait(false))?.Info.ExperimentId, ct);

    /// <summary>Not cached: names move between experiments through rename and delete.</summary>
    public async ValueTask<string?> ExperimentByNameAsync(string name, CancellationToken ct) =>
        (await tracking.GetExperimentByNameAsync(name, ct).ConfigureAwait(false))?.ExperimentId;

    private async ValueTask<string?> OwnerAsync(string key, Func<CancellationToken, Task<string?>> load, CancellationToken ct)
    {
        if (_experimentOf.TryGetValue(key, out var known))
        {
            return known;
        }

        var found = await load(ct).ConfigureAwait(false);
        if (found is not null)
        {
            if (_experimentOf.Count >= MaxCachedOwners)
            {
                _experimentOf.Clear();
            }

            _experimentOf[key] = found;
        }

        return found;
    }
}
