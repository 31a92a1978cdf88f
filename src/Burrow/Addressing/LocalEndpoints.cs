using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Burrow.Addressing;

/// <summary>Turns the sockets a node listens on into the endpoints of its address.</summary>
public static class LocalEndpoints
{
    /// <summary>
    /// The endpoints to advertise (pure): one per usable interface address that a listener covers. A listener
    /// on a wildcard covers every interface address of its family (a dual-mode IPv6 one covers IPv4 too);
    /// loopback is advertised only when listened on explicitly; link-local never (it needs a scope).
    /// An address with global scope on an interface has no NAT in front of it, so it is its own public address.
    /// Manual public endpoints (<paramref name="manualPublic"/>) are attached to the first endpoint of their family.
    /// </summary>
    public static IReadOnlyList<AddressEndpoint> Describe(
        IReadOnlyList<(IPEndPoint Bound, bool DualMode)> listeners,
        IReadOnlyList<IPAddress> interfaceAddresses,
        IReadOnlyList<IPEndPoint> manualPublic)
    {
        var endpoints = new List<AddressEndpoint>();
        foreach (var (bound, dualMode) in listeners)
        {
            var covered = bound.Address.Equals(IPAddress.Any) || bound.Address.Equals(IPAddress.IPv6Any)
                ? interfaceAddresses.Where(a => a.AddressFamily == bound.AddressFamily
                    || (dualMode && a.AddressFamily == AddressFamily.InterNetwork)).Where(a => IpScope.Of(a) is IpScopeKind.Private or IpScopeKind.Global)
                : [bound.Address.IsIPv4MappedToIPv6 ? bound.Address.MapToIPv4() : bound.Address];
            foreach (var address in covered)
            {
                if (IpScope.Of(address) is IpScopeKind.NotAHost or IpScopeKind.LinkLocal || endpoints.Any(e => address.Equals(e.LanAddress)))
                {
                    continue;
                }
                var global = IpScope.Of(address) == IpScopeKind.Global;
                endpoints.Add(new AddressEndpoint
                {
                    LanAddress = address,
                    PublicAddress = global ? address : null,
                    ListenPort = bound.Port,
                    Nat = global ? new NatBehavior(NatMapping.Open, NatFiltering.Unknown) : NatBehavior.Unknown,
                });
            }
        }
        foreach (var manual in manualPublic)
        {
            var index = endpoints.FindIndex(e => e.Family == manual.AddressFamily && e.MappingMethod == MappingMethod.None);
            var mapped = new AddressEndpoint
            {
                PublicAddress = manual.Address,
                MappedPort = manual.Port,
                MappingMethod = MappingMethod.Manual,
            };
            if (index >= 0)
            {
                endpoints[index] = endpoints[index] with { PublicAddress = manual.Address, MappedPort = manual.Port, MappingMethod = MappingMethod.Manual };
            }
            else
            {
                endpoints.Add(mapped);
            }
        }
        return endpoints.Take(NodeAddressContent.MaxEndpoints).ToList();
    }

    /// <summary>The unicast addresses of the interfaces that are up (I/O: asks the OS).</summary>
    public static IReadOnlyList<IPAddress> InterfaceAddresses() =>
        [.. NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)];
}
