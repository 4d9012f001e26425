namespace Strata.Bench;

/// <summary>
/// The servers under test (one, or several replicas over one database). Worker k talks to server k mod n, so the
/// connections are spread round-robin; single-connection phases pass the request index instead, so their requests
/// rotate over every replica too.
/// </summary>
internal sealed class ServerPool
{
    private readonly IReadOnlyList<TrackingClient> _servers;

    public ServerPool(IReadOnlyList<TrackingClient> servers)
    {
        ArgumentOutOfRangeException.ThrowIfZero(servers.Count);
        _servers = servers;
    }

    public int Count => _servers.Count;

    public IReadOnlyList<TrackingClient> All => _servers;

    public TrackingClient First => _servers[0];

    public TrackingClient For(int slot) => _servers[slot % _servers.Count];
}
