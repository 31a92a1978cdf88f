using System.Net;
using System.Net.Sockets;

namespace Burrow.Addressing;

/// <summary>Where an IP address can be reached from (pure).</summary>
public enum IpScopeKind
{
    Loopback,
    LinkLocal,
    /// <summary>RFC 1918, RFC 6598 shared (carrier-grade NAT) and IPv6 unique local addresses: behind some NAT or firewall.</summary>
    Private,
    /// <summary>Anything else, including 198.18.0.0/15 (benchmarking space, which Burrow's NAT lab uses as its internet).</summary>
    Global,
    /// <summary>Unspecified, multicast or broadcast: not a host.</summary>
    NotAHost,
}

public static class IpScope
{
    public static IpScopeKind Of(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (IPAddress.IsLoopback(address))
        {
            return IpScopeKind.Loopback;
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b switch
            {
                [0, ..] or [>= 224, ..] => IpScopeKind.NotAHost,
                [10, ..] or [172, >= 16 and <= 31, ..] or [192, 168, ..] or [100, >= 64 and <= 127, ..] => IpScopeKind.Private,
                [169, 254, ..] => IpScopeKind.LinkLocal,
                _ => IpScopeKind.Global,
            };
        }
        if (address.Equals(IPAddress.IPv6Any) || address.IsIPv6Multicast)
        {
            return IpScopeKind.NotAHost;
        }
        if (address.IsIPv6LinkLocal)
        {
            return IpScopeKind.LinkLocal;
        }
        return (address.GetAddressBytes()[0] & 0xFE) == 0xFC ? IpScopeKind.Private : IpScopeKind.Global;
    }
}
