namespace Burrow.Rendezvous.Client;

/// <summary>Timing of a node's rendezvous connection. Every property has a working default.</summary>
public sealed record RendezvousClientOptions
{
    /// <summary>TLS over TCP (the default), or a datagram session over UDP.</summary>
    public RendezvousTransport Transport { get; init; } = RendezvousTransport.Tls;

    /// <summary>TCP connect and TLS handshake together (or the datagram join).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often to send a keep-alive: a time request, whose reply also re-measures the clock offset.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(25);

    /// <summary>Nothing from the server for this long (pongs included) means it is gone: reconnect.</summary>
    public TimeSpan ReceiveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>First wait before reconnecting; it doubles on each failure, up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Signals received and not yet handled; beyond it, new ones are dropped (the sender times out).</summary>
    public int SignalQueueLength { get; init; } = 64;
}
