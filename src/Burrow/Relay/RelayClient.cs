using System.Net;
using System.Net.Sockets;
using Burrow.Connect;

namespace Burrow.Relay;

/// <summary>Binds a token at a relay and waits for the other side (thin I/O driver; the caller owns the socket).</summary>
public static class RelayClient
{
    /// <summary>
    /// The socket, spliced to whoever bound the same token, and the relay's limits; a
    /// <see cref="RelayRefusedException"/> when the relay answers otherwise, a <see cref="ProtocolViolationException"/>
    /// when it does not speak the relay protocol.
    /// </summary>
    public static async Task<(Socket Socket, RelayLimits Limits)> BindAsync(IPEndPoint relay, ReadOnlyMemory<byte> token, CancellationToken cancellationToken)
    {
        var bind = RelayHandshake.EncodeBind(token.Span);
        var socket = await TcpDialer.ConnectAsync(relay, cancellationToken).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(bind, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            var reply = new byte[RelayHandshake.ReplySize];
            for (var got = 0; got < reply.Length;)
            {
                var n = await socket.ReceiveAsync(reply.AsMemory(got), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                got += n > 0 ? n : throw new ProtocolViolationException("relay_closed", $"The relay {relay} closed the connection before answering.");
            }
            return RelayHandshake.TryDecodeReply(reply) switch
            {
                null => throw new ProtocolViolationException("relay_garbled", $"The relay {relay} answered with something that is not a relay reply."),
                ({ } status, _) when status != RelayStatus.Paired => throw new RelayRefusedException(status, $"The relay {relay} did not pair the connection: {status}."),
                (_, var limits) => (socket, limits),
            };
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
