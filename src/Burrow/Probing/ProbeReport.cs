using System.Net;
using System.Net.Sockets;

namespace Burrow.Probing;

/// <summary>
/// What one probe found — for an address family, from one local address (the wildcard: the route's choice) —
/// the verdict and how long it took.
/// </summary>
public sealed record FamilyProbe(AddressFamily Family, IPAddress LocalAddress, int LocalPort, NatVerdict Verdict, TimeSpan Elapsed);

/// <summary>The result of <see cref="NatProber.ProbeAsync"/>: one entry per address family of the servers.</summary>
public sealed record ProbeReport(IReadOnlyList<FamilyProbe> Families, IReadOnlyList<IPEndPoint> Servers, TimeSpan Elapsed)
{
    /// <summary>The best connectivity over the families (IPv6 reachable directly beats IPv4 behind a NAT).</summary>
    public Connectivity Connectivity => Families.Count == 0 ? Connectivity.NeedsRelay : Families.Min(f => f.Verdict.Connectivity);
}
