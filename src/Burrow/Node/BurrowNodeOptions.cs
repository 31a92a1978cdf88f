using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Rendezvous.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Node;

/// <summary>How to start a <see cref="BurrowNode"/>. Every property has a working default.</summary>
public sealed record BurrowNodeOptions
{
    /// <summary>An identity to use (the caller keeps ownership). When null, <see cref="IdentityPath"/> is loaded or created.</summary>
    public NodeIdentity? Identity { get; init; }

    /// <summary>The identity file; null means <see cref="IdentityStore.DefaultPath"/>.</summary>
    public string? IdentityPath { get; init; }

    /// <summary>Where to accept peers. Default: every interface, IPv6 and IPv4 (one dual-mode socket), on a port the OS picks.</summary>
    public IReadOnlyList<IPEndPoint> ListenEndpoints { get; init; } =
        [Socket.OSSupportsIPv6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0)];

    /// <summary>Public endpoints forwarded to this node by hand (a router's port forward); advertised as manual mappings.</summary>
    public IReadOnlyList<IPEndPoint> ManualPublicEndpoints { get; init; } = [];

    /// <summary>How long an issued address stays valid.</summary>
    public TimeSpan AddressLifetime { get; init; } = TimeSpan.FromHours(24);

    public ConnectOptions Connect { get; init; } = new();

    /// <summary>Sources that learn how the node is reached (port mapping, NAT profiling). The node starts and disposes them.</summary>
    public IReadOnlyList<IReachabilitySource> Reachability { get; init; } = [];

    /// <summary>
    /// Rendezvous servers to register at (at most 8). The node keeps a connection to each, lists them in its
    /// address (so peers can signal it), and can then connect by reverse connect.
    /// </summary>
    public IReadOnlyList<SignalEndpoint> Rendezvous { get; init; } = [];

    /// <summary>
    /// Relays this node can be met at as a last resort (at most 8), listed in its address; a peer that cannot
    /// reach it otherwise asks it, through a rendezvous, to meet at one of them.
    /// </summary>
    public IReadOnlyList<SignalEndpoint> Relays { get; init; } = [];

    /// <summary>Timing of the rendezvous connections.</summary>
    public RendezvousClientOptions RendezvousClient { get; init; } = new();

    /// <summary>Strategies beyond the built-in ones (direct; and with a rendezvous, reverse, punch and relay).</summary>
    public IReadOnlyList<IConnectStrategy> ExtraStrategies { get; init; } = [];

    /// <summary>Inbound TLS handshakes allowed at once; connections beyond it are closed at once (flood guard).</summary>
    public int MaxPendingHandshakes { get; init; } = 64;

    /// <summary>
    /// Of the <see cref="MaxPendingHandshakes"/>, how many may come from one IP address: one host opening idle
    /// connections cannot keep other peers out. A peer's own attempts (direct, punched, upgrade) are a few at once.
    /// </summary>
    public int MaxPendingHandshakesPerAddress { get; init; } = 16;

    /// <summary>Authenticated inbound connections waiting for <see cref="BurrowNode.AcceptAsync"/>.</summary>
    public int AcceptQueueLength { get; init; } = 32;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Where the node's counters go; null means a meter owned by the node.</summary>
    public IMeterFactory? MeterFactory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
