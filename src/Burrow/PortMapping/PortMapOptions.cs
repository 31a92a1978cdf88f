using System.Net;
using Burrow.Addressing;

namespace Burrow.PortMapping;

/// <summary>How Burrow finds and talks to the gateway. Every property has a working default.</summary>
public sealed record PortMapOptions
{
    /// <summary>The gateway to ask; null means the default route's gateway (from /proc/net/route).</summary>
    public IPAddress? Gateway { get; init; }

    /// <summary>Where NAT-PMP and PCP servers listen (5351); tests point it at a fake gateway.</summary>
    public int NatPmpPort { get; init; } = 5351;

    /// <summary>Where SSDP searches go: the gateway's port 1900 (unicast) and the SSDP multicast group.
    /// Null means both, for the gateway in use; tests give loopback endpoints.</summary>
    public IReadOnlyList<IPEndPoint>? SsdpTargets { get; init; }

    /// <summary>Protocols to use, in order of preference.</summary>
    public IReadOnlyList<MappingMethod> Methods { get; init; } = [MappingMethod.Pcp, MappingMethod.NatPmp, MappingMethod.Upnp];

    /// <summary>How long a probe of one protocol may take before it counts as "not spoken".</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one map, renew or delete exchange may take.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The lease to ask for.</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(2);

    /// <summary>How often to check the gateway's epoch and public address between renewals.</summary>
    public TimeSpan CheckInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Retry after a failed attempt (no gateway answered, or a renewal failed).</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a starting node waits for its first mapping before it issues its address without one.</summary>
    public TimeSpan InitialWait { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>UPnP: how many other external ports to try when the wanted one is taken (error 718).</summary>
    public int ConflictRetries { get; init; } = 8;

    public string Description { get; init; } = "burrow";

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
