namespace Burrow.Addressing;

/// <summary>How a NAT chooses the public port of an outbound TCP connection.</summary>
public enum NatMapping : byte
{
    Unknown = 0,
    /// <summary>No translation: the endpoint is the public endpoint.</summary>
    Open = 1,
    /// <summary>The public port equals the local port (when free).</summary>
    PortPreserving = 2,
    /// <summary>One public port per local port, whatever the destination, but not the same number.</summary>
    EndpointIndependent = 3,
    /// <summary>Each new mapping takes the previous public port plus a constant delta.</summary>
    Sequential = 4,
    /// <summary>Unpredictable public ports.</summary>
    Random = 5,
}

/// <summary>What the NAT or firewall does with an unsolicited inbound SYN.</summary>
public enum NatFiltering : byte
{
    Unknown = 0,
    /// <summary>Lets it through.</summary>
    Open = 1,
    /// <summary>Drops it silently.</summary>
    Drops = 2,
    /// <summary>Answers with a RST.</summary>
    Resets = 3,
}

/// <summary>The NAT behaviour in front of one endpoint, as far as the node knows it.</summary>
/// <param name="Mapping">How outbound connections are given public ports.</param>
/// <param name="Filtering">What happens to unsolicited inbound SYNs.</param>
/// <param name="Delta">For <see cref="NatMapping.Sequential"/>, the port step between consecutive mappings.</param>
public readonly record struct NatBehavior(NatMapping Mapping, NatFiltering Filtering, int Delta = 0)
{
    public static NatBehavior Unknown => default;
}

/// <summary>How a public port mapping was obtained.</summary>
public enum MappingMethod : byte
{
    None = 0,
    /// <summary>Configured by hand (e.g. a port forward set up on the router).</summary>
    Manual = 1,
    Upnp = 2,
    NatPmp = 3,
    Pcp = 4,
}
