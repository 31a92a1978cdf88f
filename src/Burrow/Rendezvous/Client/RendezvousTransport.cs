namespace Burrow.Rendezvous.Client;

/// <summary>How a node reaches its rendezvous server.</summary>
public enum RendezvousTransport
{
    /// <summary>One TLS connection (TCP), authenticated by the node's key.</summary>
    Tls,

    /// <summary>
    /// A datagram session (UDP, same port): joined with a signed challenge, sealed with AES-GCM, signals
    /// acknowledged and resent after a round trip and a half. Costs the server a few hundred bytes and no socket per node.
    /// </summary>
    Datagram,
}
