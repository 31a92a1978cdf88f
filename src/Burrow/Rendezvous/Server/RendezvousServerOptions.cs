using System.Diagnostics.Metrics;
using System.Net;
using Burrow.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Rendezvous.Server;

/// <summary>How to run a <see cref="RendezvousServer"/>. Every property has a working default.</summary>
public sealed record RendezvousServerOptions
{
    /// <summary>Where to accept nodes. Default: every IPv4 interface, a port the OS picks.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Any, 0);

    /// <summary>The server's own node key (the caller keeps ownership); null: a fresh one for this run.</summary>
    public NodeIdentity? Identity { get; init; }

    /// <summary>
    /// Also take nodes by datagram (UDP, on the same port as the TLS listener): under 3 KiB per node and
    /// no socket each, for servers with very many nodes. On by default.
    /// </summary>
    public bool Datagram { get; init; } = true;

    /// <summary>One TLS handshake.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>From an authenticated connection to its registration.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A node that sends nothing (not even a ping) for this long is dropped.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Registered nodes at most, over both transports; more registrations are refused (<c>Full</c>) and their
    /// nodes try again later. Anyone can make node keys, so this bounds the memory a host registering made-up
    /// nodes can take: about 2 KiB a node over datagrams (docs/benchmarks.md), so ~2 GiB at the default.
    /// </summary>
    public int MaxNodes { get; init; } = 1_000_000;

    /// <summary>
    /// Nodes that came and have not registered yet, at most, on each transport: TLS connections from their
    /// accept to their first message (the handshake and the registration), datagram sessions from their join
    /// to their registration. More are turned away at once, and their nodes try again (flood guard).
    /// </summary>
    public int MaxPendingHandshakes { get; init; } = 256;

    /// <summary>
    /// New datagram joins checked (a signature and a key agreement each) per second at most, on average; a
    /// second's worth may come at once. More are dropped, and their nodes send them again. It keeps a host
    /// that sends joins from taking the datagram socket's reader thread from the registered nodes' packets.
    /// </summary>
    public int MaxDatagramJoinsPerSecond { get; init; } = 2000;

    /// <summary>
    /// Of the <see cref="MaxPendingHandshakes"/> on each transport, how many may come from one IP address: one
    /// host cannot hold them all and keep everyone else out. Nodes behind one NAT share its address, but each
    /// is pending only for a few round trips.
    /// </summary>
    public int MaxPendingPerAddress { get; init; } = 32;

    /// <summary>Messages waiting to be written to one node; a signal that finds the queue full fails (peer busy).</summary>
    public int SendQueueLength { get; init; } = 32;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    /// <summary>Where the server's counters go; null means a meter owned by the server.</summary>
    public IMeterFactory? MeterFactory { get; init; }

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Test seam: rewrites each signal before it is forwarded (a lying rendezvous). Null in production.</summary>
    internal Func<ForwardedSignal, ForwardedSignal>? SignalRewriter { get; init; }
}

/// <summary>A signal as the server forwards it: from whom (as the server claims), to whom, what.</summary>
internal sealed record ForwardedSignal(NodeId Source, NodeId Target, ReadOnlyMemory<byte> Payload);
