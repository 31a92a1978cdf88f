using System.Net;
using System.Net.Sockets;
using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

/// <summary>The clients against hand-made servers: lost datagrams are retransmitted, garbage is a typed error.</summary>
public class StunClientTests
{
    [Fact]
    public async Task A_lost_request_is_retransmitted_after_the_rto_and_the_answer_is_taken()
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = HandMadeServer();
        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var schedule = StunRetransmission.Default with { InitialRto = TimeSpan.FromMilliseconds(50) };
        var request = StunMessage.BindingRequest(StunTransactionId.New());
        var answer = client.RequestAsync(request, (IPEndPoint)server.LocalEndPoint!, TimeSpan.FromSeconds(10), schedule, ct);

        // "lose" the first transmission: read it and stay silent; answer the retransmission
        var buffer = new byte[2048];
        var first = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct);
        var second = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct);
        Assert.Equal(request.TransactionId, StunCodec.Decode(buffer.AsSpan(0, second.ReceivedBytes)).TransactionId);
        var from = (IPEndPoint)second.RemoteEndPoint;
        await server.SendToAsync(StunCodec.Encode(new StunMessage(StunClass.SuccessResponse, StunMessage.BindingMethod, request.TransactionId) { XorMappedAddress = from }), from, ct);

        var response = await answer;
        Assert.Equal(from, response?.Message.Mapped);
        Assert.True(response!.RoundTrip >= TimeSpan.FromMilliseconds(40), $"answered after {response.RoundTrip}");
        Assert.Equal(first.ReceivedBytes, second.ReceivedBytes);
    }

    [Fact]
    public async Task A_response_for_another_transaction_is_ignored()
    {
        var ct = TestContext.Current.CancellationToken;
        using var server = HandMadeServer();
        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var answer = client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), (IPEndPoint)server.LocalEndPoint!, TimeSpan.FromMilliseconds(300), cancellationToken: ct);
        var buffer = new byte[2048];
        var received = await server.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), ct);
        var stranger = new StunMessage(StunClass.SuccessResponse, StunMessage.BindingMethod, StunTransactionId.New()) { XorMappedAddress = IPEndPoint.Parse("1.2.3.4:5") };
        await server.SendToAsync(StunCodec.Encode(stranger), received.RemoteEndPoint, ct);
        await server.SendToAsync(new byte[] { 0xde, 0xad }, received.RemoteEndPoint, ct);
        Assert.Null(await answer);
    }

    [Fact]
    public async Task Garbage_over_tcp_is_a_typed_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var serving = Task.Run(async () =>
        {
            using var peer = await listener.AcceptAsync(ct);
            await peer.ReceiveAsync(new byte[2048], ct);
            await peer.SendAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), ct);
        }, ct);
        await using var connection = await StunTcpConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)listener.LocalEndPoint!, cancellationToken: ct);
        var error = await Assert.ThrowsAsync<StunFormatException>(() => connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), ct));
        Assert.Equal(StunDecodeError.NotStun, error.Reason);
        await serving;
    }

    /// <summary>A bare UDP socket on loopback, playing a server the test drives by hand.</summary>
    private static Socket HandMadeServer()
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return server;
    }
}
