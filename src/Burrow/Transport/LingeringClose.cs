using System.Buffers;
using System.Net.Sockets;

namespace Burrow.Transport;

/// <summary>
/// Closes a TCP socket without losing what was written to it. Closing a socket that still has received bytes
/// unread makes the kernel answer with a reset and drop whatever it had not sent yet; and a peer connection
/// always may have some: a TLS 1.3 server sends its session tickets after the handshake, unasked, and the
/// application may never read again. So the close is in two steps: a FIN after the last byte written, then,
/// in the background, reading and dropping what still comes until the peer closes too (or
/// <see cref="Linger"/> passes), and only then the socket is released. The relay ends a session at its limits
/// with the same two steps (<see cref="TryShutdownSend"/>, <see cref="DrainAsync"/>).
/// </summary>
internal static class LingeringClose
{
    /// <summary>The longest a closed socket waits for the peer's end before it is released anyway.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(5);

    /// <summary>Sends the FIN now and releases <paramref name="socket"/> once the peer has closed (or after <see cref="Linger"/>); does not wait.</summary>
    public static void Start(Socket socket)
    {
        if (!TryShutdownSend(socket))
        {
            socket.Dispose(); // gone already: nothing to keep for
            return;
        }
        _ = ReleaseWhenClosedAsync(socket);
    }

    /// <summary>Sends the FIN (after every byte written); false when the socket is gone already.</summary>
    public static bool TryShutdownSend(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Reads and drops what still comes until the peer closes (or resets, or <paramref name="cancellationToken"/> fires).</summary>
    public static async Task DrainAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // reset, gone, or given up on: the caller closes it
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ReleaseWhenClosedAsync(Socket socket)
    {
        using var linger = new CancellationTokenSource(Linger);
        await DrainAsync(socket, linger.Token).ConfigureAwait(false);
        socket.Dispose();
    }
}
