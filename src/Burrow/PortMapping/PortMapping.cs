using System.Net;
using Burrow.Addressing;

namespace Burrow.PortMapping;

/// <summary>
/// A mapping a gateway granted: <see cref="External"/> (public, as the gateway reported it) forwards to
/// <see cref="Internal"/>. Carries what is needed to renew and to delete it.
/// </summary>
public sealed record PortMapping(
    MappingMethod Method,
    PortMapProtocol Protocol,
    IPEndPoint Internal,
    IPEndPoint External,
    TimeSpan Lifetime,
    DateTimeOffset ObtainedAt)
{
    /// <summary>The gateway's epoch (seconds since its mappings were last lost), for NAT-PMP and PCP.</summary>
    public uint? Epoch { get; init; }

    /// <summary>PCP: the 12-byte nonce that owns the mapping (needed to renew or delete it).</summary>
    public ReadOnlyMemory<byte> Nonce { get; init; }

    /// <summary>UPnP: granted without an expiry (error 725 forced lease 0); it must be deleted explicitly.</summary>
    public bool Permanent { get; init; }

    /// <summary>The gateway that granted it (for logs and for removing it by hand).</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>When to renew: before half the lease has passed (never, for a permanent mapping).</summary>
    public DateTimeOffset RenewAt => Permanent ? DateTimeOffset.MaxValue : ObtainedAt + Lifetime * 0.45;

    /// <summary>One line with everything needed to remove the mapping by hand.</summary>
    public string Describe() =>
        $"{Method} {Protocol.ToString().ToUpperInvariant()} {External} -> {Internal} via gateway {Gateway?.ToString() ?? "?"}"
        + (Permanent ? " (permanent)" : $" (lease {Lifetime.TotalSeconds:0} s)");
}
