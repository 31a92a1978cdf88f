using System.Net;
using Burrow.Rendezvous.Protocol;

namespace Burrow.Rendezvous;

/// <summary>A node's link to its rendezvous server, whatever carries it: a TLS connection or a datagram session.</summary>
internal interface IRendezvousLink : IAsyncDisposable
{
    /// <summary>The server's endpoint.</summary>
    IPEndPoint RemoteEndPoint { get; }

    /// <summary>Queues a message; false when it cannot take more now or is closing.</summary>
    bool TrySend(RendezvousMessage message);

    /// <summary>
    /// The next message from the server; null when the server ended the session. Nothing for
    /// <paramref name="idle"/> is a <see cref="TimeoutException"/>; a broken link is an I/O or protocol exception.
    /// </summary>
    Task<RendezvousMessage?> ReceiveAsync(TimeSpan idle, CancellationToken cancellationToken);
}
