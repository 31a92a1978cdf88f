using Burrow.Addressing;
using Burrow.Transport;
using Microsoft.Extensions.Logging;

namespace Burrow.Connect;

/// <summary>Everything a strategy may use for one connect: who we are, whom we want, and the clock.</summary>
public sealed record ConnectContext(
    TlsCredentials Local,
    NodeAddress? LocalAddress,
    NodeAddress Remote,
    ConnectOptions Options,
    TimeProvider Time,
    ILogger Logger)
{
    /// <summary>When the connect started (a <see cref="TimeProvider"/> timestamp): strategies report elapsed time from here.</summary>
    public long StartedAt { get; init; } = Time.GetTimestamp();

    /// <summary>
    /// Set when this connect is to replace a relayed connection: the connection says so to the peer (see
    /// <see cref="UpgradeTag"/>). Only strategies where this node is the TLS client can carry it.
    /// </summary>
    public UpgradeTag? Upgrade { get; init; }
}
