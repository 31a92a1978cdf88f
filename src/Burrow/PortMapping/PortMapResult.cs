namespace Burrow.PortMapping;

/// <summary>Why a gateway gave no mapping (an expected outcome, not a fault).</summary>
public enum NoMappingReason
{
    /// <summary>No default gateway is known.</summary>
    NoGateway,
    /// <summary>Nothing answered in time (or the port is closed): the gateway does not speak this protocol.</summary>
    NoResponse,
    /// <summary>The gateway answered that it does not support this version, opcode or action.</summary>
    Unsupported,
    /// <summary>The gateway refuses to map for us (NAT-PMP 2, PCP NOT_AUTHORIZED, UPnP 606).</summary>
    NotAuthorized,
    /// <summary>The gateway has no port or table space left.</summary>
    NoResources,
    /// <summary>Every external port tried was taken (UPnP 718).</summary>
    Conflict,
    /// <summary>The gateway does not know a public address (or has only a private one: another NAT is in front).</summary>
    NoPublicAddress,
    /// <summary>The gateway's replies were malformed.</summary>
    BadReply,
    /// <summary>The gateway reported a failure (network failure, UPnP 501).</summary>
    Failed,
}

/// <summary>A mapping, or the reason there is none.</summary>
public sealed record PortMapResult
{
    private PortMapResult(PortMapping? mapping, NoMappingReason reason, string detail)
    {
        Mapping = mapping;
        Reason = reason;
        Detail = detail;
    }

    public PortMapping? Mapping { get; }

    /// <summary>Why there is no mapping (meaningless when <see cref="Mapping"/> is set).</summary>
    public NoMappingReason Reason { get; }

    public string Detail { get; }

    public static PortMapResult Mapped(PortMapping mapping) => new(mapping ?? throw new ArgumentNullException(nameof(mapping)), default, "mapped");

    public static PortMapResult None(NoMappingReason reason, string detail) => new(null, reason, detail);

    /// <summary>
    /// A granted mapping, once checked: a port and a lease, and a public external address (a private one means
    /// another NAT is in front, and advertising it would mislead peers).
    /// </summary>
    public static PortMapResult Granted(PortMapping mapping, string protocol) =>
        mapping.External.Port == 0 || mapping.Lifetime <= TimeSpan.Zero
            ? None(NoMappingReason.BadReply, $"{protocol} granted port 0 or lifetime 0")
            : Addressing.IpScope.Of(mapping.External.Address) != Addressing.IpScopeKind.Global
                ? None(NoMappingReason.NoPublicAddress, $"the gateway's external address {mapping.External.Address} is not public (another NAT in front)")
                : Mapped(mapping);

    public override string ToString() => Mapping is { } m ? m.Describe() : $"no mapping ({Reason}): {Detail}";
}
