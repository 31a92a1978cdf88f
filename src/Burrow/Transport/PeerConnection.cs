using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Burrow.Identity;

namespace Burrow.Transport;

/// <summary>
/// An authenticated, encrypted stream to a peer whose node id is known, with how it was obtained.
/// Write, then <see cref="CompleteWritesAsync"/> to half-close; reads end (return 0) when the peer half-closes.
/// </summary>
public sealed class PeerConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream _ssl;
    private int _disposed;

    internal PeerConnection(Socket socket, SslStream ssl, NodeId remoteId, string strategy, TimeSpan elapsed, bool initiated, Relay.RelayLimits? relay = null)
    {
        Relay = relay;
        _socket = socket;
        _ssl = ssl;
        RemoteId = remoteId;
        Strategy = strategy;
        Elapsed = elapsed;
        IsInitiator = initiated;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The authenticated peer.</summary>
    public NodeId RemoteId { get; }

    /// <summary>The strategy that produced this connection (e.g. <c>direct</c>, or <c>accepted</c> on the accepting side).</summary>
    public string Strategy { get; }

    /// <summary>From the start of the connect (or of the accepted handshake) to an authenticated stream.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>True on the side that asked for the connection.</summary>
    public bool IsInitiator { get; }

    /// <summary>The remote endpoint of the socket: the peer's, or the relay's when <see cref="Relay"/> is set.</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>When the connection goes through a relay: the limits it imposes (bytes each way, duration); null when direct.</summary>
    public Relay.RelayLimits? Relay { get; }

    public bool IsRelayed => Relay is not null;

    public IPEndPoint LocalEndPoint { get; }

    /// <summary>
    /// For an outbound connection made by the connect orchestrator: what every strategy of the plan did (the
    /// winner, the ones that failed before it, the ones cancelled because it won). Empty otherwise.
    /// </summary>
    public IReadOnlyList<Connect.StrategyAttempt> Attempts { get; internal set; } = [];

    /// <summary>The encrypted byte stream. For messages, wrap it in a <see cref="MessageStream"/>.</summary>
    public Stream Stream => _ssl;

    /// <summary>Says "no more data from me" (TLS close_notify, then TCP FIN); the peer's reads then end. Reading goes on.</summary>
    public async Task CompleteWritesAsync()
    {
        await _ssl.FlushAsync().ConfigureAwait(false);
        try
        {
            await _ssl.ShutdownAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OperationCanceledException or ObjectDisposedException))
        {
            // OpenSSL can fail the close_notify (SSL_ERROR_SYSCALL, seen in CI) when the peer's own close_notify
            // is being read on another thread at that moment. Everything written was flushed above, and the FIN
            // below still ends the stream for the peer.
        }
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The peer is already gone; nothing more to say to it.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _ssl.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }
    }

    public override string ToString() => $"{RemoteId.ToShortString()}… at {RemoteEndPoint} via {Strategy}";
}
