using Burrow.Identity;

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
    /// The rule for connections where both sides called connect() (TCP simultaneous open), so neither is the
    /// acceptor: the node with the lower node id is the TLS client. Both ends compute the same answer.
    /// </summary>
    public static TlsRole ForSimultaneousOpen(NodeId local, NodeId remote) =>
        local == remote ? throw new ArgumentException("A node cannot connect to itself.", nameof(remote))
        : local < remote ? TlsRole.Client : TlsRole.Server;
}
