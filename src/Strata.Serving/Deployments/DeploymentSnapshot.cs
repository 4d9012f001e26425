using System.Text;
using Strata.Core.Deployments;
using Strata.Serving.Hosting;

namespace Strata.Serving.Deployments;

/// <summary>One leg of a loaded route: the version serving it and the upper end of its share on the 0..100 line.</summary>
public sealed record LoadedTarget(ModelTarget Declared, ServedModel Model, double Weight, double CumulativeWeight);

/// <summary>
/// A deployment's route as one process serves it at one moment: the revision, each leg with its loaded model (aliases
/// resolved to versions), the shadow, the sticky key and the resolved settings. Immutable and swapped whole, so a
/// request sees one consistent route from choice to answer.
/// </summary>
public sealed class DeploymentSnapshot
{
    public DeploymentSnapshot(
        string name, long revision, IReadOnlyList<LoadedTarget> targets, ServedModel? shadow, StickyKey? stickyKey,
        TimeSpan timeout, double? logSampleRate, string resolvedKey)
    {
        if (targets.Count == 0)
        {
            throw new ArgumentException("A route needs at least one version.", nameof(targets));
        }

        Name = name;
        Revision = revision;
        Targets = targets;
        Shadow = shadow;
        StickyKey = stickyKey;
        Timeout = timeout;
        LogSampleRate = logSampleRate;
        ResolvedKey = resolvedKey;
        Total = targets[^1].CumulativeWeight;
    }

    public string Name { get; }

    public long Revision { get; }

    public IReadOnlyList<LoadedTarget> Targets { get; }

    public ServedModel? Shadow { get; }

    public StickyKey? StickyKey { get; }

    public TimeSpan Timeout { get; }

    public double? LogSampleRate { get; }

    /// <summary>The revision and the versions its aliases resolved to: equal keys need no reload.</summary>
    public string ResolvedKey { get; }

    private double Total { get; }

    /// <summary>Every model this snapshot holds (route and shadow).</summary>
    public IEnumerable<ServedModel> Models => Shadow is null ? Targets.Select(t => t.Model) : Targets.Select(t => t.Model).Append(Shadow);

    /// <summary>
    /// The leg for a request: by a stable hash of <paramref name="stickyKey"/> when there is one (the same key always
    /// lands on the same point of the line, so a weight change moves only the callers between the old and new cut),
    /// else by a uniform draw.
    /// </summary>
    public LoadedTarget Choose(string? stickyKey)
    {
        if (Targets.Count == 1)
        {
            return Targets[0];
        }

        var point = (stickyKey is null ? Random.Shared.NextDouble() : UnitHash(stickyKey)) * Total;
        foreach (var target in Targets)
        {
            if (point < target.CumulativeWeight)
            {
                return target;
            }
        }

        return Targets[^1];
    }

    /// <summary>The leg serving <paramref name="version"/> (a pinned v2 request), or null.</summary>
    public LoadedTarget? Find(string version) => Targets.FirstOrDefault(t => t.Model.Version == version);

    /// <summary>
    /// A stable point in [0, 1) for a key: 64-bit FNV-1a over its UTF-8 bytes, the same in every process and release
    /// (string.GetHashCode is randomised per process, which would send a caller to different versions on each replica).
    /// </summary>
    public static double UnitHash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offset;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(key) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(key, buffer)] : Encoding.UTF8.GetBytes(key);
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * prime;
        }

        // FNV's low bits mix poorly for short keys; a final avalanche (the murmur3 finaliser) spreads them.
        hash ^= hash >> 33;
        hash *= 0xff51afd7ed558ccdUL;
        hash ^= hash >> 33;
        hash *= 0xc4ceb9fe1a85ec53UL;
        hash ^= hash >> 33;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>Cumulative weights in route order.</summary>
    public static IReadOnlyList<LoadedTarget> Build(IReadOnlyList<(ModelTarget Declared, ServedModel Model, double Weight)> legs)
    {
        ArgumentNullException.ThrowIfNull(legs);
        var cumulative = 0d;
        var list = new List<LoadedTarget>(legs.Count);
        foreach (var (declared, model, weight) in legs)
        {
            cumulative += weight;
            list.Add(new LoadedTarget(declared, model, weight, cumulative));
        }

        return list;
    }
}
