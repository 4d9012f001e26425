using System.Collections.Concurrent;
using Strata.Serving.Hosting;

namespace Strata.Serving.Deployments;

/// <summary>
/// A deployment's current <see cref="DeploymentSnapshot"/>, swapped atomically. A request leases the model it is
/// routed to before re-checking that its snapshot is still current, so a model swapped out meanwhile is never used
/// after the loader's drain has seen zero leases (the same protocol as <see cref="ModelRoute.Acquire"/>).
/// </summary>
public sealed class DeploymentRouter(string name)
{
    private DeploymentSnapshot? _current;

    public string Name { get; } = name;

    public DeploymentSnapshot? Current => Volatile.Read(ref _current);

    /// <summary>
    /// The snapshot and the leased model for one request (release with <see cref="ModelRoute.Release"/>), or null
    /// while nothing is loaded. <paramref name="pin"/> asks for one version of the route; the target is null (and
    /// nothing leased) when the route does not hold it.
    /// </summary>
    public (DeploymentSnapshot Snapshot, LoadedTarget? Target)? Acquire(string? stickyKey, string? pin = null)
    {
        while (true)
        {
            var snapshot = Volatile.Read(ref _current);
            if (snapshot is null)
            {
                return null;
            }

            var target = pin is null ? snapshot.Choose(stickyKey) : snapshot.Find(pin);
            if (target is null)
            {
                return (snapshot, null);
            }

            target.Model.Enter();
            if (ReferenceEquals(Volatile.Read(ref _current), snapshot))
            {
                return (snapshot, target);
            }

            target.Model.Exit();
        }
    }

    /// <summary>The current shadow with a lease taken, or null.</summary>
    public ServedModel? AcquireShadow()
    {
        while (true)
        {
            var snapshot = Volatile.Read(ref _current);
            if (snapshot?.Shadow is not { } shadow)
            {
                return null;
            }

            shadow.Enter();
            if (ReferenceEquals(Volatile.Read(ref _current), snapshot))
            {
                return shadow;
            }

            shadow.Exit();
        }
    }

    /// <summary>Routes new requests to <paramref name="next"/> (null: nothing) and returns the snapshot it replaced.</summary>
    public DeploymentSnapshot? Swap(DeploymentSnapshot? next) => Interlocked.Exchange(ref _current, next);
}

/// <summary>The deployments this process serves, by name; changes as deployments are created and deleted.</summary>
public sealed class DeploymentRouteTable
{
    private readonly ConcurrentDictionary<string, DeploymentRouter> _routers = new(StringComparer.Ordinal);

    /// <param name="only">Serve this one deployment (<c>strata models serve --deployment</c>); null serves every one.</param>
    public DeploymentRouteTable(string? only = null)
    {
        Only = only;
    }

    public string? Only { get; }

    public ICollection<DeploymentRouter> Routers => _routers.Values;

    public DeploymentRouter? Find(string name) => _routers.GetValueOrDefault(name);

    public DeploymentRouter GetOrAdd(string name) => _routers.GetOrAdd(name, n => new DeploymentRouter(n));

    public bool TryRemove(string name, out DeploymentRouter? router) => _routers.TryRemove(name, out router);

    /// <summary>Whether every known deployment has a route loaded (and, with <see cref="Only"/>, that one is known).</summary>
    public bool AllReady => (Only is null || _routers.ContainsKey(Only)) && _routers.Values.All(r => r.Current is not null);
}
