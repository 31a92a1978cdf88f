using System.Net;
using System.Net.Sockets;

namespace Burrow.Probing.Stun;

/// <summary>
/// STUN over one TCP connection it owns (RFC 8489 framing), opened from a chosen local endpoint — a fixed
/// port shared with other sockets, as a mapping probe needs. Requests are answered in order.
/// </summary>
public sealed class StunTcpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    private StunTcpConnection(Socket socket, TimeProvider time)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _time = time;
        LocalEndPoint = ProbeSockets.Unmap((IPEndPoint)socket.LocalEndPoint!);
        RemoteEndPoint = ProbeSockets.Unmap((IPEndPoint)socket.RemoteEndPoint!);
    }

    public IPEndPoint LocalEndPoint { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Connects from <paramref name="local"/> (SO_REUSEADDR/SO_REUSEPORT; port 0: any) to <paramref name="server"/>.</summary>
    public static async Task<StunTcpConnection> ConnectAsync(IPEndPoint local, IPEndPoint server, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        var socket = ProbeSockets.Bind(local, SocketType.Stream);
        try
        {
            await socket.ConnectAsync(server, cancellationToken);
            return new StunTcpConnection(socket, time ?? TimeProvider.System);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a request and reads the response with its transaction id. A connection closed before the answer,
    /// or an answer for another transaction, is a <see cref="ProtocolViolationException"/>.
    /// </summary>
    public async Task<StunResponse> RequestAsync(StunMessage request, CancellationToken cancellationToken = default)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var started = _time.GetTimestamp();
            await _stream.WriteAsync(StunCodec.Encode(request), cancellationToken);
            var response = await StunFraming.ReadAsync(_stream, cancellationToken)
                ?? throw new ProtocolViolationException("stun_closed", $"{RemoteEndPoint} closed the connection without answering");
            if (response.TransactionId != request.TransactionId || response.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse))
            {
                throw new ProtocolViolationException("stun_unexpected", $"{RemoteEndPoint} answered with a {response.Class} for another transaction");
            }
            return new StunResponse(response, RemoteEndPoint, _time.GetElapsedTime(started));
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
        _oneAtATime.Dispose();
    }
}
