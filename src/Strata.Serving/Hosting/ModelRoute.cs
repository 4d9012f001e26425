namespace Strata.Serving.Hosting;

/// <summary>
/// A served name and the version it routes to now. The version is an immutable <see cref="ServedModel"/> swapped
/// atomically, so a request sees one consistent version from parse to response.
/// </summary>
public sealed class ModelRoute(string name, string uri)
{
    private ServedModel? _current;

    public string Name { get; } = name;

    /// <summary>What the route serves: a folder, <c>runs:/</c> or <c>models:/</c> URI.</summary>
    public string Uri { get; } = uri;

    public ServedModel? Current => Volatile.Read(ref _current);

    /// <summary>
    /// The current version with a lease taken on it (release with <see cref="Release"/>), or null while none is loaded.
    /// The lease is taken before re-checking the route, so a version swapped out meanwhile is never used after its
    /// drain has seen zero leases.
    /// </summary>
    public ServedModel? Acquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current);
            if (model is null)
            {
                return null;
            }

            model.Enter();
            if (ReferenceEquals(Volatile.Read(ref _current), model))
            {
                return model;
            }

            model.Exit();
        }
    }

    public static void Release(ServedModel model) => model.Exit();

    /// <summary>Routes new requests to <paramref name="next"/> and returns the version it replaced (drain and dispose it).</summary>
    public ServedModel? Swap(ServedModel next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return Interlocked.Exchange(ref _current, next);
    }

    /// <summary>Takes the version out of the route (shutdown).</summary>
    public ServedModel? Clear() => Interlocked.Exchange(ref _current, null);
}

/// <summary>Every route of the process, by name; fixed once configured.</summary>
public sealed class ModelRouteTable
{
    private readonly Dictionary<string, ModelRoute> _routes;

    public ModelRouteTable(IEnumerable<ModelRoute> routes)
    {
        _routes = routes.ToDictionary(r => r.Name, StringComparer.Ordinal);
    }

    public IReadOnlyCollection<ModelRoute> Routes => _routes.Values;

    public ModelRoute? Find(string name) => _routes.GetValueOrDefault(name);

    /// <summary>Every route has a version loaded.</summary>
    public bool AllReady => _routes.Values.All(r => r.Current is not null);
}
