using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Relay;

/// <summary>How a relay listens and what it allows.</summary>
public sealed record RelayServerOptions
{
    public IReadOnlyList<IPEndPoint> ListenEndpoints { get; init; } = [new(IPAddress.Loopback, 0)];

    /// <summary>What each session may carry and for how long (each direction counts separately).</summary>
    public RelayLimits Limits { get; init; } = new(64L * 1024 * 1024, TimeSpan.FromMinutes(10));

    /// <summary>How long a bind waits for its other side.</summary>
    public TimeSpan PairTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a new connection has to send its bind.</summary>
    public TimeSpan BindTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a paired session may carry no byte in either direction; then the relay ends it as at a limit.
    /// Peer connections send no keep-alives of their own, so one the application leaves silent this long through a
    /// relay ends; <see cref="Timeout.InfiniteTimeSpan"/> turns the limit off.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long a session that reached a limit waits, once it has sent both ends end-of-stream, for them to close;
    /// then it drops them.
    /// </summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Sessions (paired or waiting) at once; more are answered <see cref="RelayStatus.Full"/>.</summary>
    public int MaxSessions { get; init; } = 1024;

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;
}
