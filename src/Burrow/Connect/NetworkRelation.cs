using Burrow.Addressing;

namespace Burrow.Connect;

/// <summary>What two addresses say about where their nodes sit relative to each other (pure).</summary>
public static class NetworkRelation
{
    /// <summary>
    /// Whether the two nodes are on one network: they share a public address (behind the same NAT, where
    /// LAN endpoints work and hairpinning may not), or both advertise loopback (the same host).
    /// </summary>
    public static bool SameNetwork(NodeAddress? local, NodeAddress remote)
    {
        if (local is null)
        {
            return false;
        }
        var localPublic = local.Endpoints.Select(e => e.PublicAddress).OfType<System.Net.IPAddress>().ToHashSet();
        return remote.Endpoints.Any(e => e.PublicAddress is not null && localPublic.Contains(e.PublicAddress))
            || (HasLoopback(local) && HasLoopback(remote));
    }

    /// <summary>
    /// Whether <paramref name="remote"/> may be able to dial <paramref name="local"/>: the local node has a public or
    /// mapped endpoint, or is on the remote's network, or the remote says nothing of its network (no public
    /// address known), so that only trying tells.
    /// </summary>
    public static bool MayDialBack(NodeAddress local, NodeAddress remote) =>
        DialTargets.From(local).Count > 0
        && (PubliclyReachable(local) || SameNetwork(local, remote) || remote.Endpoints.All(e => e.PublicAddress is null));

    /// <summary>Whether a peer elsewhere could dial this address: a public or mapped endpoint.</summary>
    public static bool PubliclyReachable(NodeAddress address) => address.Endpoints.Any(e => e.PublicEndPoint is not null);

    /// <summary>
    /// Whether an unsolicited SYN to this address's public endpoint can be expected to get in: the port is mapped
    /// on the NAT, or the profile does not say that unsolicited SYNs are dropped or reset. A firewalled public
    /// host (no NAT, but drops what it did not ask for) is publicly reachable on paper, not in practice. An IPv6
    /// endpoint whose filtering is not known is taken to be firewalled: home gateways drop unsolicited inbound
    /// IPv6 by default (RFC 6092), and nobody profiles it (the NAT profile is of IPv4).
    /// </summary>
    public static bool AcceptsUnsolicited(NodeAddress address) =>
        address.Endpoints.Any(e => e.PublicEndPoint is not null
            && (e.MappedPort != 0 || e.Nat.Filtering switch
            {
                NatFiltering.Open => true,
                NatFiltering.Drops or NatFiltering.Resets => false,
                _ => e.Family != System.Net.Sockets.AddressFamily.InterNetworkV6,
            }));

    /// <summary>
    /// Whether a dial from <paramref name="from"/> to <paramref name="to"/> is expected to connect: LAN endpoints
    /// on one network, a public endpoint that <see cref="AcceptsUnsolicited"/>, or a peer that says nothing of
    /// its network (only trying tells).
    /// </summary>
    public static bool ExpectDial(NodeAddress? from, NodeAddress to) =>
        SameNetwork(from, to) || AcceptsUnsolicited(to) || to.Endpoints.All(e => e.PublicAddress is null);

    /// <summary>
    /// Whether a TCP hole punch can be expected to work between the two: unless both sides map ports at random
    /// (then neither can predict the other's port and only a relay is left), or one maps at random and the other
    /// sequentially (the birthday technique needs an easy side whose guesses all leave from one public port; a
    /// sequential NAT gives each guess a new one). Unknown behaviour is worth a try. Two nodes that both have a
    /// global IPv6 address can always try: over IPv6 there is no mapping to predict, only firewalls to open.
    /// </summary>
    public static bool Punchable(NodeAddress local, NodeAddress remote) =>
        !(Unmeetable(local, remote) || Unmeetable(remote, local)) || (GlobalIPv6(local).Any() && GlobalIPv6(remote).Any());

    /// <summary>The global IPv6 addresses of the address's endpoints (no NAT in front of them, perhaps a firewall).</summary>
    public static IEnumerable<System.Net.IPAddress> GlobalIPv6(NodeAddress address) =>
        address.Endpoints.Where(e => e.Family == System.Net.Sockets.AddressFamily.InterNetworkV6)
            .Select(e => e.PublicAddress ?? e.LanAddress).OfType<System.Net.IPAddress>()
            .Where(a => IpScope.Of(a) == IpScopeKind.Global).Distinct();

    /// <summary>A random side facing one whose port it cannot meet over IPv4: random, or a new port per flow.</summary>
    private static bool Unmeetable(NodeAddress random, NodeAddress other) =>
        AllIPv4(random, e => e.Nat.Mapping == NatMapping.Random)
        && (AllIPv4(other, e => e.Nat.Mapping == NatMapping.Random) || AllIPv4(other, e => e.Nat.Mapping == NatMapping.Sequential));

    /// <summary>Whether the address has IPv4 endpoints and every one of them is <paramref name="what"/>.</summary>
    internal static bool AllIPv4(NodeAddress address, Func<AddressEndpoint, bool> what)
    {
        var v4 = address.Endpoints.Where(e => e.Family == System.Net.Sockets.AddressFamily.InterNetwork).ToList();
        return v4.Count > 0 && v4.All(what);
    }

    private static bool HasLoopback(NodeAddress address) =>
        address.Endpoints.Any(e => e.LanAddress is { } lan && System.Net.IPAddress.IsLoopback(lan));
}
