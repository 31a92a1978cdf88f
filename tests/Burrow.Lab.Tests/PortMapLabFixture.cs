namespace Burrow.Lab.Tests;

/// <summary>
/// The port-mapping topology: one miniupnpd router per protocol configuration (all three; NAT-PMP only; PCP
/// only, with 2 s minimum leases for the renewal test; UPnP IGD v2 only; UPnP IGD v1 only with two hosts, for
/// the 718 conflict), a router that speaks none, a host behind each, and a host on the internet.
/// </summary>
public sealed class PortMapLabFixture() : TopologyFixture(Tools, () => Spec)
{
    public static readonly string[] Tools = ["miniupnpd", "upnpc", "turnserver", "dotnet"];

    /// <summary>Router → host behind it.</summary>
    public static readonly IReadOnlyDictionary<string, string> HostOf = new Dictionary<string, string>
    {
        ["uall"] = "a1", ["unat"] = "a2", ["upcp"] = "a3", ["uupnp"] = "a4", ["uigd1"] = "c1", ["none"] = "a5",
    };

    public static TopologySpec Spec => new TopologySpec().Server()
        .Router("uall", RouterTypes.Upnp)
        .Router("unat", RouterTypes.Upnp, "portmap=natpmp")
        .Router("upcp", RouterTypes.Upnp, "portmap=pcp", "minlife=2")
        .Router("uupnp", RouterTypes.Upnp, "portmap=upnp")
        .Router("uigd1", RouterTypes.Upnp, "portmap=upnp", "igd=1")
        .Router("none", RouterTypes.NatDrop)
        .Host("a1", "uall").Host("a2", "unat").Host("a3", "upcp").Host("a4", "uupnp")
        .Host("c1", "uigd1").Host("c2", "uigd1").Host("a5", "none")
        .Host("net1", TopologySpec.Internet);
}

[CollectionDefinition("portmap")]
public sealed class PortMapLabCollection : ICollectionFixture<PortMapLabFixture>;
