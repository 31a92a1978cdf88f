namespace Burrow.Transport;

/// <summary>Which side of the TLS handshake a node plays on one TCP connection.</summary>
public enum TlsRole
{
    Client,
    Server,
}

public static class TlsRoles
{
    /// <summary>
    /// The rule for connections where both sides called connect() (TCP simultaneous open in a hole punch, both
    /// ends of a relay splice), so neither is the acceptor: the node that initiated the exchange (sent the punch
    /// offer or the relay request) is the TLS client. A TLS 1.3 client is done half a round trip before the
    /// server, so the node waiting for the connection, the dialer, has it soonest. Both ends know who initiated.
    /// </summary>
    public static TlsRole ForSimultaneousOpen(bool initiated) => initiated ? TlsRole.Client : TlsRole.Server;
}
