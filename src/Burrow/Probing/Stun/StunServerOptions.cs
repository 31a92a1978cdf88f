using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Probing.Stun;

/// <summary>
/// A STUN server: <see cref="Primary"/> alone answers binding requests; with <see cref="Alternate"/> (another
/// IP address <b>and</b> another port) it listens on all four combinations and supports the RFC 5780 behaviour
/// tests (CHANGE-REQUEST, OTHER-ADDRESS) and Burrow's TCP connect-back.
/// </summary>
public sealed record StunServerOptions
{
    public required IPEndPoint Primary { get; init; }

    public IPEndPoint? Alternate { get; init; }

    public bool Udp { get; init; } = true;

    public bool Tcp { get; init; } = true;

    /// <summary>How long a connect-back (three SYNs spread over the first three quarters) waits for a SYN-ACK or RST before calling the SYNs dropped.</summary>
    public TimeSpan ConnectBackTimeout { get; init; } = TimeSpan.FromMilliseconds(400);

    /// <summary>Connect-backs in progress at once; beyond it a request gets <see cref="ConnectBackOutcome.NotTried"/>.</summary>
    public int MaxConcurrentConnectBacks { get; init; } = 32;

    /// <summary>TCP clients served at once; beyond it a new connection is closed at once.</summary>
    public int MaxTcpClients { get; init; } = 256;

    /// <summary>A TCP client silent this long is disconnected.</summary>
    public TimeSpan TcpIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public string Software { get; init; } = "burrow";

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
