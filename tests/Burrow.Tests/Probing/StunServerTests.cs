using System.Net;
using System.Net.Sockets;
using Burrow.Probing.Stun;

namespace Burrow.Tests.Probing;

/// <summary>The server keeps answering whatever it is sent; it connects back to nobody but the asker.</summary>
public class StunServerTests
{
    [Fact]
    public async Task Garbage_over_udp_and_tcp_does_not_stop_the_server()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StunServer.Start(new StunServerOptions { Primary = new IPEndPoint(IPAddress.Loopback, 0) });

        using (var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            await udp.SendToAsync(new byte[] { 1, 2, 3 }, server.Primary, ct);
            await udp.SendToAsync(new byte[3000], server.Primary, ct);
        }
        using (var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await tcp.ConnectAsync(server.Primary, ct);
            // a header claiming a 64 KiB message: refused before reading it, the connection closed
            await tcp.SendAsync(Convert.FromHexString("0001fffc2112a442b7e7a701bc34d686fa87dfae"), ct);
            var buffer = new byte[16];
            Assert.Equal(0, await tcp.ReceiveAsync(buffer, ct));
        }

        await using var client = StunUdpClient.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var response = await client.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), server.Primary, TimeSpan.FromSeconds(5), cancellationToken: ct);
        Assert.Equal(client.LocalEndPoint, response?.Message.Mapped);
        await using var connection = await StunTcpConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 0), server.Primary, cancellationToken: ct);
        Assert.Equal(connection.LocalEndPoint, (await connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()), ct)).Message.Mapped);
    }

    [Fact]
    public async Task Several_requests_on_one_tcp_connection_are_answered_in_order()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StunServer.Start(new StunServerOptions { Primary = new IPEndPoint(IPAddress.Loopback, 0) });
        await using var connection = await StunTcpConnection.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 0), server.Primary, cancellationToken: ct);
        for (var i = 0; i < 5; i++)
        {
            var id = StunTransactionId.New();
            var response = await connection.RequestAsync(StunMessage.BindingRequest(id), ct);
            Assert.Equal(id, response.Message.TransactionId);
        }
    }

    [Fact]
    public async Task Connect_back_goes_to_the_askers_own_endpoint_and_finds_its_listener()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = StunServer.Start(new StunServerOptions
        {
            Primary = new IPEndPoint(IPAddress.Loopback, 0),
            Alternate = new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0),
        });
        // a listener on the asker's port, as a prober has: the connect-back arrives there, from the other address
        using var listener = Burrow.Probing.ProbeSockets.Bind(new IPEndPoint(IPAddress.Loopback, 0), SocketType.Stream);
        listener.Listen(4);
        var local = (IPEndPoint)listener.LocalEndPoint!;
        var accepted = listener.AcceptAsync(ct).AsTask();
        await using var connection = await StunTcpConnection.ConnectAsync(local, server.Primary, cancellationToken: ct);
        var response = await connection.RequestAsync(StunMessage.BindingRequest(StunTransactionId.New()) with { ConnectBack = true }, ct);

        Assert.Equal(ConnectBackOutcome.Open, response.Message.ConnectBackResult);
        using var inbound = await accepted;
        Assert.Equal(server.Alternate!.Address, ((IPEndPoint)inbound.RemoteEndPoint!).Address);
    }

    [Fact]
    public void Alternate_must_differ_in_address_and_port()
    {
        Assert.Throws<ArgumentException>(() => StunServer.Start(new StunServerOptions
        {
            Primary = IPEndPoint.Parse("127.0.0.1:3478"),
            Alternate = IPEndPoint.Parse("127.0.0.1:3479"),
        }));
    }
}
