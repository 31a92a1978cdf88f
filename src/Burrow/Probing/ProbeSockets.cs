using System.Net;
using System.Net.Sockets;

namespace Burrow.Probing;

/// <summary>
/// Sockets bound the way hole punching binds: many sockets on one local port (SO_REUSEADDR + SO_REUSEPORT).
/// IPv6 sockets are IPv6-only, so that IPv4 sockets can hold the same port number beside them.
/// </summary>
internal static class ProbeSockets
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    public static Socket Bind(IPEndPoint local, SocketType type)
    {
        var socket = new Socket(local.AddressFamily, type, type == SocketType.Stream ? ProtocolType.Tcp : ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
            {
                socket.SetRawSocketOption(SolSocket, OperatingSystem.IsLinux() ? SoReusePort : 0x0200, BitConverter.GetBytes(1));
            }
            if (type == SocketType.Stream)
            {
                socket.NoDelay = true;
            }
            socket.Bind(local);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The wildcard address of <paramref name="family"/>.</summary>
    public static IPAddress Any(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    /// <summary>An endpoint with any IPv4-mapped IPv6 address unwrapped.</summary>
    public static IPEndPoint Unmap(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;

    /// <summary>
    /// Receives the next datagram, skipping the errors a UDP socket reports for earlier datagrams (ICMP,
    /// oversize); <see langword="null"/> once the socket is closed or <paramref name="cancellationToken"/> fires.
    /// </summary>
    public static async Task<(int Length, IPEndPoint From)?> ReceiveDatagramAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var any = new IPEndPoint(Any(socket.AddressFamily), 0);
        while (true)
        {
            try
            {
                var received = await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken);
                return (received.ReceivedBytes, Unmap((IPEndPoint)received.RemoteEndPoint));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize
                                                or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
            {
                // an ICMP error for an earlier datagram, or an oversized one: wait for the next
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return null;
            }
        }
    }
}
