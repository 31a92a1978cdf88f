using System.Net;
using Burrow.Addressing;

namespace Burrow.Probing;

/// <summary>RFC 5780 §4.3 mapping classes (UDP), from which server address/port changes give a new mapping.</summary>
public enum Rfc5780Mapping
{
    Unknown = 0,
    EndpointIndependent,
    AddressDependent,
    AddressAndPortDependent,
}

/// <summary>How one protocol's flows are mapped, and from what observations that was concluded.</summary>
public sealed record MappingVerdict(
    NatMapping Mapping,
    int Delta,
    IPAddress? PublicAddress,
    ProbeConfidence Confidence,
    IReadOnlyList<MappingObservation> Observations,
    Rfc5780Mapping Rfc5780 = Rfc5780Mapping.Unknown)
{
    /// <summary>The first public endpoint observed, if any.</summary>
    public IPEndPoint? FirstMapped => Observations.Select(o => o.Mapped).FirstOrDefault(m => m is not null);
}
