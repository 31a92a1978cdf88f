using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;

namespace Burrow.Connect.Punch;

/// <summary>How one side punches.</summary>
public enum PunchRole
{
    /// <summary>Both mappings predictable (or unknown): aim at the predicted endpoints from one port.</summary>
    Standard,

    /// <summary>This side maps at random, the peer does not: many local ports towards the peer (birthday technique).</summary>
    Hard,

    /// <summary>The peer maps at random, this side does not: many guesses at the peer's address (birthday technique).</summary>
    Easy,

    /// <summary>
    /// This side's NAT maps sequentially: a window of flows from fresh local ports towards the peer, one after
    /// the other, so that whichever of them the NAT gives the offered port (the window's last) meets the peer.
    /// </summary>
    Sequential,
}

/// <summary>The pure decisions of a punch: where to aim from, and when to fire.</summary>
public static class PunchPlanner
{
    public const int MaxCandidates = 8;

    /// <summary>At most this many IPv6 endpoints are offered (a host may have several global addresses).</summary>
    public const int MaxIPv6Candidates = 2;

    /// <summary>
    /// How much later than the answer's expected arrival the punch fires, for processing and clock error. In the
    /// lab the answer reaches the dialer within a few ms of its expected arrival, and the dialer checks it and
    /// binds its sockets in about a millisecond. Firing late is not fatal (the peer's SYN still finds this side's
    /// mapping as long as the lateness is under the one-way delay), only slower — by as much as waiting longer
    /// would have cost anyway; every millisecond of margin beyond what the answer needs is added to every punch.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// The endpoints a peer should aim at to meet a punch from local port <paramref name="port"/>: for each IPv4
    /// endpoint, the public ports its NAT is predicted to give (see <see cref="PortPrediction"/>) at its public
    /// address — or at the address the rendezvous observed, when the address knows none — and its LAN endpoint
    /// (for a peer behind the same NAT). At most <see cref="MaxCandidates"/>. <paramref name="lastMappedPort"/>
    /// is the public port of a flow just opened from the punch port (0: none), which a sequential NAT counts from.
    /// With <paramref name="ipv6"/> (the port is held on IPv6 too), the global IPv6 endpoints come first, at the
    /// punch port itself: IPv6 has no NAT to predict, only a firewall to open (at most <see cref="MaxIPv6Candidates"/>).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> Candidates(NodeAddress local, int port, IPEndPoint? observed, int lastMappedPort = 0, bool ipv6 = false)
    {
        var candidates = ipv6 ? NetworkRelation.GlobalIPv6(local).Take(MaxIPv6Candidates).Select(a => new IPEndPoint(a, port)).ToList() : [];
        foreach (var endpoint in local.Endpoints.Where(e => e.Family == AddressFamily.InterNetwork))
        {
            var publicAddress = endpoint.PublicAddress ?? (observed?.AddressFamily == AddressFamily.InterNetwork ? observed.Address : null);
            if (publicAddress is not null)
            {
                var ports = PortPrediction.Predict(endpoint.Nat, port, lastMappedPort);
                // A random NAT's port cannot be predicted, but the peer still needs the address to guess at.
                candidates.AddRange((ports.Count > 0 ? ports : [port]).Select(p => new IPEndPoint(publicAddress, p)));
            }
            if (endpoint.LanAddress is { } lan && !lan.Equals(publicAddress))
            {
                candidates.Add(new IPEndPoint(lan, port));
            }
        }
        if (candidates.Count == 0 && observed?.AddressFamily == AddressFamily.InterNetwork)
        {
            candidates.Add(new IPEndPoint(observed.Address, port));
        }
        return [.. candidates.Distinct().Take(MaxCandidates)];
    }

    /// <summary>
    /// Who punches how when both sides offered endpoints: when both offered IPv6 ones, the standard punch (over
    /// IPv6 there is no mapping to predict or guess, whatever the IPv4 NATs do); otherwise <see cref="RoleOf(NodeAddress, NodeAddress)"/>.
    /// Each side knows both offers, so both come to the same answer.
    /// </summary>
    public static PunchRole RoleOf(NodeAddress local, NodeAddress remote, IReadOnlyList<IPEndPoint> localCandidates, IReadOnlyList<IPEndPoint> remoteCandidates) =>
        OffersIPv6(localCandidates) && OffersIPv6(remoteCandidates) ? PunchRole.Standard : RoleOf(local, remote);

    internal static bool OffersIPv6(IReadOnlyList<IPEndPoint> candidates) => candidates.Any(c => c.AddressFamily == AddressFamily.InterNetworkV6);

    /// <summary>
    /// Who punches how over IPv4: the birthday technique when exactly one side maps at random (unless the other
    /// side's NAT lets anyone in to its mapped ports, a full cone); a window of flows from a side whose NAT maps
    /// sequentially; otherwise the standard punch from one port.
    /// </summary>
    public static PunchRole RoleOf(NodeAddress local, NodeAddress remote) =>
        (MapsAtRandom(local), MapsAtRandom(remote)) switch
        {
            (true, false) when !LetsAnyoneIn(remote) => PunchRole.Hard,
            (false, true) when !LetsAnyoneIn(local) => PunchRole.Easy,
            (false, false) when Maps(local, NatMapping.Sequential) => PunchRole.Sequential,
            _ => PunchRole.Standard,
        };

    /// <summary>
    /// What the peer's <paramref name="candidates"/> come to for <paramref name="role"/>: for the hard side, the
    /// peer's public endpoints (its LAN ones are out of reach); for the easy side, the one public address to guess
    /// at; for the sequential side, the first public endpoint (a flow towards any other would take a port of the
    /// window).
    /// </summary>
    public static IReadOnlyList<IPEndPoint> Targets(PunchRole role, NodeAddress peer, IReadOnlyList<IPEndPoint> candidates)
    {
        if (role == PunchRole.Standard)
        {
            return candidates;
        }
        var publicAddresses = peer.Endpoints.Select(e => e.PublicAddress).OfType<IPAddress>().Where(a => a.AddressFamily == AddressFamily.InterNetwork).ToHashSet();
        var reachable = candidates.Where(c => publicAddresses.Contains(c.Address) || IpScope.Of(c.Address) == IpScopeKind.Global).ToList();
        return role is PunchRole.Easy or PunchRole.Sequential ? [.. reachable.Take(1)] : reachable.Count > 0 ? reachable : candidates;
    }

    /// <summary>How long the second side of a birthday punch waits after the first has started (or finished, for the easy side).</summary>
    public static readonly TimeSpan BirthdayLag = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// When each side of a birthday punch starts spraying, after the instant. Normally the hard side first: its
    /// SYNs open ~512 mappings on its NAT (the easy side drops them, or lets them in), and the easy side's
    /// guesses, arriving a one-way delay later, find one. An easy side that answers unsolicited SYNs with RST
    /// would kill the hard side's SYNs and with them their mappings, so then — unless the hard NAT resets too —
    /// the easy side goes first: its guesses open its own NAT towards ~1,000 ports of the hard side and die
    /// quietly at the hard NAT; once they have all left, the hard side's SYN from a guessed port finds the
    /// mapping its guess opened. When both reset, neither order works (the relay is left).
    /// </summary>
    public static (TimeSpan Hard, TimeSpan Easy) BirthdayStarts(NodeAddress hard, NodeAddress easy) =>
        Resets(easy) && !Resets(hard)
            ? (BirthdayDialer.SprayDuration(BirthdayDialer.EasyGuesses) + BirthdayLag, TimeSpan.Zero)
            : (TimeSpan.Zero, BirthdayLag);

    /// <summary>This side's start after the instant: 0 for a standard punch, the birthday order otherwise.</summary>
    public static TimeSpan LagOf(PunchRole role, NodeAddress local, NodeAddress peer) => role switch
    {
        PunchRole.Hard => BirthdayStarts(local, peer).Hard,
        PunchRole.Easy => BirthdayStarts(peer, local).Easy,
        _ => TimeSpan.Zero,
    };

    /// <summary>
    /// Whether the NAT lets anyone in to a port it has mapped (endpoint-independent filtering: a full cone). Then a
    /// random side facing it needs no birthday: the predictable side's own SYN maps its punch port, and the random
    /// side's SYN gets in from whatever port its NAT gives it (one connection instead of hundreds).
    /// </summary>
    private static bool LetsAnyoneIn(NodeAddress address) => NetworkRelation.AllIPv4(address, e => e.Nat.Filtering == NatFiltering.Open);

    private static bool Resets(NodeAddress address) =>
        address.Endpoints.Any(e => e.Family == AddressFamily.InterNetwork && e.Nat.Filtering == NatFiltering.Resets);

    private static bool MapsAtRandom(NodeAddress address) => Maps(address, NatMapping.Random);

    private static bool Maps(NodeAddress address, NatMapping mapping) =>
        address.Endpoints.Any(e => e.Family == AddressFamily.InterNetwork && e.Nat.Mapping == mapping);

    /// <summary>
    /// When to fire, in the server's clock: when the answer should have reached the dialer — half of each side's
    /// round trip to the rendezvous — plus <see cref="Margin"/>. A dialer that has not measured its round trip
    /// (0) is taken to be as far from the server as this node.
    /// </summary>
    public static DateTimeOffset Instant(DateTimeOffset serverNow, TimeSpan dialerRoundTrip, TimeSpan ownRoundTrip) =>
        serverNow + ((dialerRoundTrip > TimeSpan.Zero ? dialerRoundTrip : ownRoundTrip) + ownRoundTrip) / 2 + Margin;

    /// <summary>Converts an instant of the server's clock to a <see cref="TimeProvider"/> timestamp of this machine.</summary>
    public static long ToTimestamp(DateTimeOffset serverInstant, TimeSpan clockOffset, TimeProvider time)
    {
        var fromNow = serverInstant - clockOffset - time.GetUtcNow();
        return time.GetTimestamp() + (long)(fromNow.TotalSeconds * time.TimestampFrequency);
    }
}
