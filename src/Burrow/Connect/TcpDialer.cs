using System.Net;
using System.Net.Sockets;

namespace Burrow.Connect;

/// <summary>Opens TCP connections (thin I/O driver; the caller owns the socket it returns).</summary>
public static class TcpDialer
{
    public static async Task<Socket> ConnectAsync(IPEndPoint remote, CancellationToken cancellationToken)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
