using Burrow.Addressing;

namespace Burrow.Probing;

/// <summary>The verdict of a whole probe for one address family.</summary>
public sealed record NatVerdict(MappingVerdict TcpMapping, FilteringVerdict TcpFiltering, MappingVerdict? UdpMapping, FilteringVerdict? UdpFiltering)
{
    /// <summary>
    /// Whether a connection from this host to its own public TCP mapping came back in (NAT hairpinning), so
    /// peers behind the same NAT can use the public address; <see langword="null"/>: not tested (no translation).
    /// </summary>
    public bool? Hairpin { get; init; }

    /// <summary>The behaviour to advertise in the node's address (TCP: what Burrow connects with).</summary>
    public NatBehavior Behavior => new(TcpMapping.Mapping, TcpFiltering.Filtering, TcpMapping.Delta);

    public Connectivity Connectivity => (TcpMapping.Mapping, TcpFiltering.Filtering) switch
    {
        (NatMapping.Open or NatMapping.PortPreserving or NatMapping.EndpointIndependent, NatFiltering.Open) => Connectivity.ReachableDirectly,
        (NatMapping.Open or NatMapping.PortPreserving or NatMapping.EndpointIndependent or NatMapping.Sequential, _) => Connectivity.Punchable,
        _ => Connectivity.NeedsRelay,
    };

    /// <summary>The lower of the TCP mapping and filtering confidences.</summary>
    public ProbeConfidence Confidence => (ProbeConfidence)Math.Min((int)TcpMapping.Confidence, (int)TcpFiltering.Confidence);

    public static string Describe(Connectivity connectivity) => connectivity switch
    {
        Connectivity.ReachableDirectly => "reachable directly",
        Connectivity.Punchable => "punchable",
        _ => "needs relay",
    };
}
