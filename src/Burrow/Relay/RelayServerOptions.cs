using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Relay;

/// <summary>How a relay listens and what it allows.</summary>
public sealed record RelayServerOptions
{
    public IReadOnlyList<IPEndPoint> ListenEndpoints { get; init; } = [new(IPAddress.Loopback, 0)];

    /// <summary>
    /// What each session may carry (each direction counts separately), for how long, and how long without a
    /// byte either way; the peers are told them when they are paired.
    /// </summary>
    public RelayLimits Limits { get; init; } = new(64L * 1024 * 1024, TimeSpan.FromMinutes(10)) { MaxIdle = TimeSpan.FromSeconds(60) };

    /// <summary>How long a bind waits for its other side.</summary>
    public TimeSpan PairTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a new connection has to send its bind.</summary>
    public TimeSpan BindTimeout { get; init; } = TimeSpan.FromSeconds(5);

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
