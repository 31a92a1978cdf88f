using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;
using Burrow.Identity;
using Burrow.Probing;
using Burrow.Rendezvous.Protocol;
using Burrow.Transport;

namespace Burrow.Rendezvous;

/// <summary>
/// One authenticated node ↔ rendezvous connection, used by both ends (thin I/O driver): TLS with node keys,
/// framed by a <see cref="MessageStream"/> capped at <see cref="RendezvousCodec.MaxMessageSize"/>. Reads are
/// one at a time; sends are queued (bounded) and written by one writer, so a slow reader never blocks a sender.
/// </summary>
internal sealed class RendezvousConnection : IRendezvousLink
{
    private static readonly TimeSpan FlushOnClose = TimeSpan.FromSeconds(1);
    private readonly Socket _socket;
    private readonly SslStream _ssl;
    private readonly MessageStream _messages;
    private readonly Channel<byte[]> _outbound;
    private readonly CancellationTokenSource _closing = new();
    private readonly Task _writer;
    private int _disposed;

    private RendezvousConnection(Socket socket, SslStream ssl, NodeId remoteId, int sendQueueLength)
    {
        _socket = socket;
        _ssl = ssl;
        RemoteId = remoteId;
        RemoteEndPoint = ProbeSockets.Unmap((IPEndPoint)socket.RemoteEndPoint!);
        _messages = new MessageStream(ssl, RendezvousCodec.MaxMessageSize);
        _outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(sendQueueLength) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _writer = WriteLoopAsync();
    }

    /// <summary>The TLS-authenticated node at the other end.</summary>
    public NodeId RemoteId { get; }

    /// <summary>Where the other end's TCP connection comes from (IPv4-mapped addresses shown as IPv4).</summary>
    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Runs TLS over a connected socket; on failure the socket is disposed and the exception propagates.</summary>
    public static async Task<RendezvousConnection> EstablishAsync(
        Socket socket, TlsCredentials credentials, TlsRole role, TimeSpan handshakeTimeout, int sendQueueLength, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(handshakeTimeout);
            // The server key is not pinned yet (expectedRemote: null): a rendezvous is trusted for nothing but
            // forwarding; everything it forwards is signed by the nodes themselves.
            var (ssl, remoteId) = await PeerHandshake.AuthenticateAsync(new NetworkStream(socket, ownsSocket: false), credentials, role, null, timeout.Token).ConfigureAwait(false);
            return new RendezvousConnection(socket, ssl, remoteId, sendQueueLength);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Queues a message; false when the queue is full or the connection is closing.</summary>
    public bool TrySend(RendezvousMessage message) => _outbound.Writer.TryWrite(RendezvousCodec.Encode(message));

    /// <summary>
    /// The next message the peer sent; null when it closed the connection cleanly. Messages of an unknown
    /// type (a newer peer) are skipped. A malformed message is a <see cref="ProtocolViolationException"/>;
    /// nothing received for <paramref name="idle"/> is a <see cref="TimeoutException"/>.
    /// </summary>
    public async Task<RendezvousMessage?> ReceiveAsync(TimeSpan idle, CancellationToken cancellationToken)
    {
        while (true)
        {
            byte[]? frame;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _closing.Token))
            {
                timeout.CancelAfter(idle);
                try
                {
                    // A zero-byte read first: it waits for data without holding a TLS read buffer, so an idle
                    // node (the common case on a server) costs no 16 KiB buffer while it waits.
                    await _ssl.ReadAsync(Memory<byte>.Empty, timeout.Token).ConfigureAwait(false);
                    frame = await _messages.ReadAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_closing.IsCancellationRequested)
                {
                    throw new TimeoutException($"Nothing received for {idle.TotalSeconds:0.#} s.");
                }
            }
            if (frame is null)
            {
                return null;
            }
            if (RendezvousCodec.TryDecode(frame, out var message, out var error))
            {
                return message;
            }
            if (error != RendezvousCodecError.UnknownType)
            {
                throw new ProtocolViolationException("rendezvous_malformed", $"The peer sent a malformed rendezvous message ({error}).");
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        await Task.Yield();
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(_closing.Token).ConfigureAwait(false))
            {
                await _messages.WriteAsync(frame, _closing.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The connection broke or is closing: the reader will see it too.
            _socket.Dispose();
        }
    }

    /// <summary>Sends what is queued (for up to a second) and close_notify, then closes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _outbound.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(FlushOnClose).ConfigureAwait(false);
            await CloseNotify.SendAsync(_ssl, FlushOnClose).ConfigureAwait(false); // the other end reads an end, not a cut
        }
        catch (TimeoutException)
        {
            // A peer that does not read: close anyway (it reads a cut).
        }
        await _closing.CancelAsync().ConfigureAwait(false);
        await _ssl.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        await _writer.ConfigureAwait(false);
        _closing.Dispose();
    }

    /// <summary>Closes at once, without flushing or close_notify (the server replacing a stale session, or shutting down): the other end reads a cut.</summary>
    public void Abort()
    {
        try
        {
            _closing.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already closed.
        }
        _socket.Dispose();
    }
}
