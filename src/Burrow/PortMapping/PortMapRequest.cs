namespace Burrow.PortMapping;

/// <summary>What to ask a gateway for: forward a public port to <paramref name="InternalPort"/> on this host.</summary>
/// <param name="Protocol">TCP or UDP.</param>
/// <param name="InternalPort">The local port to forward to.</param>
/// <param name="Lifetime">The lease asked for; gateways may grant less (or, UPnP, only a permanent one).</param>
/// <param name="SuggestedExternalPort">The public port wanted; 0 means "the same as the internal port".</param>
public sealed record PortMapRequest(PortMapProtocol Protocol, int InternalPort, TimeSpan Lifetime, int SuggestedExternalPort = 0)
{
    /// <summary>Free text a UPnP gateway shows in its table (so a person can tell whose mapping it is).</summary>
    public string Description { get; init; } = "burrow";

    public int PreferredExternalPort => SuggestedExternalPort != 0 ? SuggestedExternalPort : InternalPort;
}
