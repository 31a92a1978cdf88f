using Burrow.Addressing;
using Burrow.Probing.Stun;

namespace Burrow.Probing;

/// <summary>RFC 5780 §4.4 filtering classes (UDP).</summary>
public enum Rfc5780Filtering
{
    Unknown = 0,
    EndpointIndependent,
    AddressDependent,
    AddressAndPortDependent,
}

/// <summary>What unsolicited inbound traffic to a fresh mapping gets, and how sure that is.</summary>
public sealed record FilteringVerdict(NatFiltering Filtering, ProbeConfidence Confidence, Rfc5780Filtering Rfc5780 = Rfc5780Filtering.Unknown)
{
    public static readonly FilteringVerdict Unknown = new(NatFiltering.Unknown, ProbeConfidence.Low);

    /// <summary>
    /// TCP: the server connected back from its other address to the observed mapping. An accepted connection
    /// or a RST is positive evidence; silence (a drop) is the absence of an answer within the server's deadline.
    /// </summary>
    public static FilteringVerdict FromConnectBack(ConnectBackOutcome? outcome) => outcome switch
    {
        ConnectBackOutcome.Open => new(NatFiltering.Open, ProbeConfidence.High),
        ConnectBackOutcome.Reset => new(NatFiltering.Resets, ProbeConfidence.High),
        ConnectBackOutcome.Dropped => new(NatFiltering.Drops, ProbeConfidence.Medium),
        _ => Unknown,
    };

    /// <summary>
    /// UDP per RFC 5780 §4.4: whether an answer came back when the server was asked to reply from its other
    /// address and port (test II) and from its other port only (test III); <see langword="null"/> when not run.
    /// </summary>
    public static FilteringVerdict FromChangeRequests(bool? otherAddressAndPort, bool? otherPortOnly) =>
        (otherAddressAndPort, otherPortOnly) switch
        {
            (true, _) => new(NatFiltering.Open, ProbeConfidence.High, Rfc5780Filtering.EndpointIndependent),
            (false, true) => new(NatFiltering.Drops, ProbeConfidence.High, Rfc5780Filtering.AddressDependent),
            (false, false) => new(NatFiltering.Drops, ProbeConfidence.Medium, Rfc5780Filtering.AddressAndPortDependent),
            _ => Unknown,
        };
}
