using System.Net;
using Burrow.Addressing;
using CsCheck;

namespace Burrow.Tests.Addressing;

/// <summary>CsCheck generators for address content covering every field and its range.</summary>
internal static class AddressGenerators
{
    public static readonly Gen<IPAddress> IPv4 = Gen.Byte.Array[4].Select(b => new IPAddress(b));
    public static readonly Gen<IPAddress> IPv6 = Gen.Byte.Array[16].Select(b => new IPAddress(b));

    public static readonly Gen<AddressEndpoint> Endpoint =
        from v6 in Gen.Bool
        from hasLan in Gen.Bool
        from hasPublic in Gen.Bool
        from lan in v6 ? IPv6 : IPv4
        from pub in v6 ? IPv6 : IPv4
        from listen in Gen.Int[0, 65535]
        from mapped in Gen.Int[0, 65535]
        from method in Gen.Enum<MappingMethod>()
        from mapping in Gen.Enum<NatMapping>()
        from filtering in Gen.Enum<NatFiltering>()
        from delta in Gen.Int[-65535, 65535]
        select new AddressEndpoint
        {
            LanAddress = hasLan || !hasPublic ? lan : null,
            PublicAddress = hasPublic ? pub : null,
            ListenPort = listen,
            MappedPort = mapped,
            MappingMethod = method,
            Nat = new NatBehavior(mapping, filtering, delta),
        };

    private static readonly Gen<string> HostName =
        Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[1, 20].Array[1, 4].Select(labels => string.Join('.', labels.Select(l => new string(l))) + ".net");

    public static readonly Gen<SignalEndpoint> Signal =
        from kind in Gen.Int[0, 2]
        from host in kind switch { 0 => IPv4.Select(a => a.ToString()), 1 => IPv6.Select(a => a.ToString()), _ => HostName }
        from port in Gen.Int[1, 65535]
        select new SignalEndpoint(host, port);

    public static readonly Gen<NodeAddressContent> Content =
        from endpoints in Endpoint.List[0, NodeAddressContent.MaxEndpoints]
        from rendezvous in Signal.List[0, NodeAddressContent.MaxSignalEndpoints]
        from relays in Signal.List[0, NodeAddressContent.MaxSignalEndpoints]
        from issued in Gen.Long[0, 4102444800] // 1970 .. 2100
        from lifetime in Gen.Long[1, 10L * 365 * 24 * 3600]
        select new NodeAddressContent
        {
            Endpoints = endpoints,
            Rendezvous = rendezvous,
            Relays = relays,
            IssuedAt = DateTimeOffset.FromUnixTimeSeconds(issued),
            Lifetime = TimeSpan.FromSeconds(lifetime),
        };
}
