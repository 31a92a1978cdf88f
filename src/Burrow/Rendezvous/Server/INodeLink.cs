using System.Net;
using Burrow.Identity;
using Burrow.Rendezvous.Protocol;

namespace Burrow.Rendezvous.Server;

/// <summary>
/// The server's side of one node's session, whatever carries it (a TLS connection, or a datagram session):
/// who it is, where it comes from, and how to send it a message or end it.
/// </summary>
internal interface INodeLink
{
    /// <summary>The node's id, proven by its key (over TLS, or by the signed join).</summary>
    NodeId NodeId { get; }

    /// <summary>Where the node's packets come from, as the server sees it.</summary>
    IPEndPoint RemoteEndPoint { get; }

    /// <summary>When the registered address expires; <see cref="DateTimeOffset.MinValue"/> before it registers.</summary>
    DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Queues a message to the node; false when it cannot take more now or is closing.</summary>
    bool TrySend(RendezvousMessage message);

    /// <summary>Ends the session at once (replaced by a newer one, or the server is stopping).</summary>
    void Abort();
}
