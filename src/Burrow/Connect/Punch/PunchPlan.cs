using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;

namespace Burrow.Connect.Punch;

/// <summary>
/// What one side of a punch does: its role, its punch port, where it aims, the agreed instant (a Stopwatch
/// timestamp) and how long after it this side starts (birthday punches only).
/// </summary>
internal sealed record PunchPlan(PunchRole Role, int Port, IReadOnlyList<IPEndPoint> Targets, long Instant, TimeSpan Lag)
{
    /// <summary>The plan of <paramref name="local"/>'s side, from both addresses and the endpoints each side offered.</summary>
    public static PunchPlan For(NodeAddress local, NodeAddress peer, int port, IReadOnlyList<IPEndPoint> ownCandidates, IReadOnlyList<IPEndPoint> peerCandidates, long instant)
    {
        var role = PunchPlanner.RoleOf(local, peer, ownCandidates, peerCandidates);
        // The peer's IPv6 endpoints are aimed at only from a port held on IPv6 (this side offered IPv6 too).
        var usable = PunchPlanner.OffersIPv6(ownCandidates)
            ? peerCandidates
            : [.. peerCandidates.Where(c => c.AddressFamily != AddressFamily.InterNetworkV6)];
        return new PunchPlan(role, port, PunchPlanner.Targets(role, peer, usable), instant, PunchPlanner.LagOf(role, local, peer));
    }
}
