using System.Net;
using System.Net.Sockets;

namespace Burrow.PortMapping;

/// <summary>How one request/reply exchange over UDP ended.</summary>
internal enum UdpExchangeStatus
{
    Answered,
    /// <summary>No acceptable reply before the deadline.</summary>
    Silent,
    /// <summary>ICMP port unreachable: nothing listens there.</summary>
    Refused,
}

/// <param name="Local">The address this host used to reach the gateway (the mapping's internal address).</param>
internal readonly record struct UdpExchangeResult<T>(UdpExchangeStatus Status, T? Reply, string Detail, IPAddress? Local = null)
{
    /// <summary>Why there is no usable reply: an answer in another protocol version means "not supported".</summary>
    public NoMappingReason Reason => Status == UdpExchangeStatus.Answered ? NoMappingReason.Unsupported : NoMappingReason.NoResponse;
}

/// <summary>
/// The retransmitting request/reply exchange NAT-PMP and PCP share: a UDP socket connected to the gateway,
/// the request sent at once and again after 250 ms, 500 ms, 1 s… (RFC 6886 §3.1), until a datagram the
/// parser accepts arrives or the caller's token ends it. Datagrams the parser rejects are skipped.
/// </summary>
internal static class UdpExchange
{
    public static readonly TimeSpan FirstRetransmit = TimeSpan.FromMilliseconds(250);

    /// <param name="build">The request, given the local address the socket uses to reach the gateway.</param>
    /// <param name="parse">Decodes a reply; throws <see cref="PortMapFormatException"/> for one to skip.</param>
    public static async Task<UdpExchangeResult<T>> RunAsync<T>(
        IPEndPoint server, Func<IPAddress, byte[]> build, Func<ReadOnlyMemory<byte>, T> parse, TimeProvider time, int maxSends, CancellationToken cancellationToken)
        where T : class
    {
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
        var local = ((IPEndPoint)socket.LocalEndPoint!).Address;
        var request = build(local);
        var buffer = new byte[1100];
        var wait = FirstRetransmit;
        string lastBad = "no reply";
        for (var send = 0; send < maxSends; send++, wait *= 2)
        {
            try
            {
                await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                using var window = new CancellationTokenSource(wait, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(window.Token, cancellationToken);
                while (true)
                {
                    int received;
                    try
                    {
                        received = await socket.ReceiveAsync(buffer, SocketFlags.None, linked.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        break; // retransmit
                    }
                    try
                    {
                        return new(UdpExchangeStatus.Answered, parse(buffer.AsMemory(0, received)), "answered", local);
                    }
                    catch (PortMapFormatException e)
                    {
                        lastBad = e.Message;
                        if (e.Reason == PortMapFormatError.BadVersion)
                        {
                            return new(UdpExchangeStatus.Answered, null, e.Message); // a server of another version: it answered "no"
                        }
                    }
                }
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
            {
                return new(UdpExchangeStatus.Refused, null, $"{server}: {e.SocketErrorCode}");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return new(UdpExchangeStatus.Silent, null, $"{server}: {lastBad}");
            }
        }
        return new(UdpExchangeStatus.Silent, null, $"{server}: {lastBad} after {maxSends} tries");
    }
}
