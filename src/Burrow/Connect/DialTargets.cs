using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;

namespace Burrow.Connect;

/// <summary>Which endpoints of an address to dial directly, in Happy-Eyeballs order (pure).</summary>
public static class DialTargets
{
    /// <summary>
    /// Every distinct endpoint the address says can be dialed — public or mapped first, then LAN; LAN first
    /// when <paramref name="local"/> is on the same network (no hairpinning needed) — with the families
    /// interleaved, IPv6 first (RFC 8305 §4). Addresses a peer may not ask us to dial (unspecified,
    /// multicast, broadcast) are left out.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> From(NodeAddress address, NodeAddress? local = null)
    {
        var publicFirst = address.Endpoints.Select(e => e.PublicEndPoint).Concat(address.Endpoints.Select(e => e.LanEndPoint));
        var lanFirst = address.Endpoints.Select(e => e.LanEndPoint).Concat(address.Endpoints.Select(e => e.PublicEndPoint));
        var candidates = (NetworkRelation.SameNetwork(local, address) ? lanFirst : publicFirst)
            .OfType<IPEndPoint>()
            .Where(IsDialable)
            .Distinct()
            .ToList();
        var v6 = new Queue<IPEndPoint>(candidates.Where(e => e.AddressFamily == AddressFamily.InterNetworkV6));
        var v4 = new Queue<IPEndPoint>(candidates.Where(e => e.AddressFamily == AddressFamily.InterNetwork));
        var ordered = new List<IPEndPoint>(candidates.Count);
        while (v6.Count > 0 || v4.Count > 0)
        {
            if (v6.TryDequeue(out var six))
            {
                ordered.Add(six);
            }
            if (v4.TryDequeue(out var four))
            {
                ordered.Add(four);
            }
        }
        return ordered;
    }

    private static bool IsDialable(IPEndPoint endpoint)
    {
        var ip = endpoint.Address;
        return endpoint.Port != 0
            && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) && !ip.Equals(IPAddress.Broadcast)
            && !ip.IsIPv6Multicast
            && !(ip.AddressFamily == AddressFamily.InterNetwork && ip.GetAddressBytes()[0] is >= 224);
    }
}
