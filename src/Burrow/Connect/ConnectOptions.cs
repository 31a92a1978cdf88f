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
}
