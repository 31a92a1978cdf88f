using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Probing;

/// <summary>How <see cref="NatProber"/> probes. Every field has a default but <see cref="Servers"/>.</summary>
public sealed record NatProberOptions
{
    /// <summary>STUN servers (a Burrow server with an alternate address gives the full verdict).</summary>
    public required IReadOnlyList<IPEndPoint> Servers { get; init; }

    /// <summary>
    /// The local addresses (one per interface) to probe from; for a family with none here, the wildcard address
    /// (the kernel's route picks the interface). Each gives its own verdict.
    /// </summary>
    public IReadOnlyList<IPAddress> LocalAddresses { get; init; } = [];

    /// <summary>The one local port every probe flow leaves from; 0: a free port chosen per run.</summary>
    public int LocalPort { get; init; }

    /// <summary>Also classify UDP (RFC 5780 mapping and filtering).</summary>
    public bool Udp { get; init; } = true;

    /// <summary>A UDP request not answered by then (it is retransmitted meanwhile) counts as unanswered.</summary>
    public TimeSpan FlowTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A TCP mapping probe that has not connected and been answered by then counts as unanswered. Long enough for
    /// one lost segment: the kernel resends a SYN only after 1 s, and a probe that gave up at 1 s turned a single
    /// lost SYN into an unknown profile (1 run in 10 of a sequential NAT in the lab grid, at 1 % loss).
    /// </summary>
    public TimeSpan TcpFlowTimeout { get; init; } = TimeSpan.FromSeconds(2.5);

    /// <summary>How long a UDP filtering test waits for an answer from the server's other address or port.</summary>
    public TimeSpan FilterWait { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>
    /// How long the hairpin test waits for its connection to the host's own public mapping: a path through the
    /// NAT and back into the LAN, so much shorter than a round trip to the server.
    /// </summary>
    public TimeSpan HairpinWait { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The bound on the TCP connect-back answer (the server's own wait is 400 ms by default).</summary>
    public TimeSpan ConnectBackWait { get; init; } = TimeSpan.FromSeconds(2);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
