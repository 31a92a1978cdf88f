namespace Burrow.Rendezvous.Client;

/// <summary>How a node reaches its rendezvous server.</summary>
public enum RendezvousTransport
{
    /// <summary>One TLS connection (TCP), authenticated by the node's key.</summary>
    Tls,

    /// <summary>
    /// A datagram session (UDP, same port): joined with a signed challenge, sealed with AES-GCM, messages
    /// ordered and resent until acknowledged (first after 1.5 round trips + 25 ms). Costs the server under 3 KiB
    /// and no socket per node.
    /// </summary>
    Datagram,
}
