using System.Net;
using Burrow.Addressing;

namespace Burrow.PortMapping;

/// <summary>What probing a gateway with one protocol found: whether it answered, and what it said.</summary>
public sealed record GatewayProbe(MappingMethod Method, bool Available, TimeSpan Elapsed, string Detail)
{
    /// <summary>The gateway's public address, when the protocol tells it (NAT-PMP, UPnP).</summary>
    public IPAddress? ExternalAddress { get; init; }

    /// <summary>NAT-PMP / PCP epoch.</summary>
    public uint? Epoch { get; init; }

    public NoMappingReason Reason { get; init; }
}
