namespace Burrow.Connect;

/// <summary>Timing of a connect.</summary>
public sealed record ConnectOptions
{
    /// <summary>The whole connect, all strategies included.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>One TLS handshake, inbound or outbound.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Head start of one endpoint over the next (RFC 8305's Connection Attempt Delay).</summary>
    public TimeSpan AttemptDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// After a connect that ended relayed: when to try again for a direct connection to replace it, each delay
    /// counted from the end of the attempt before (see <see cref="Transport.PeerConnection.UpgradeAsync"/>).
    /// Empty: a relayed connection stays relayed.
    /// </summary>
    public IReadOnlyList<TimeSpan> UpgradeAfter { get; init; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60)];
}
