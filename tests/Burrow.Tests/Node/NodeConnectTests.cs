using System.Net;
using System.Net.Sockets;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Transport;

namespace Burrow.Tests.Node;

public class NodeConnectTests
{
    [Fact(Timeout = 60_000)]
    public async Task Two_nodes_connect_directly_authenticate_and_half_close_each_direction()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nodes = await NodePair.StartAsync(ct);
        var (outbound, inbound) = await NodeHarness.ConnectAsync(nodes.Alice, nodes.Bob, ct);
        await using var _ = outbound;
        await using var __ = inbound;

        Assert.Equal(nodes.Bob.NodeId, outbound.RemoteId);
        Assert.Equal(nodes.Alice.NodeId, inbound.RemoteId);
        Assert.Equal(DirectStrategy.StrategyName, outbound.Strategy);
        Assert.Equal("accepted", inbound.Strategy);
        Assert.True(outbound.IsInitiator);
        Assert.False(inbound.IsInitiator);
        Assert.True(outbound.Elapsed > TimeSpan.Zero);

        // Alice sends and half-closes; Bob reads to the end, then still answers on the other direction.
        await outbound.Stream.WriteAsync("hello bob"u8.ToArray(), ct);
        await outbound.CompleteWritesAsync();
        Assert.Equal("hello bob", await ReadToEndAsync(inbound.Stream, ct));
        await inbound.Stream.WriteAsync("hello alice"u8.ToArray(), ct);
        await inbound.CompleteWritesAsync();
        Assert.Equal("hello alice", await ReadToEndAsync(outbound.Stream, ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_node_refuses_an_address_whose_endpoint_leads_to_another_key()
    {
        var ct = TestContext.Current.CancellationToken;
        using var aliceKey = NodeIdentity.Create();
        using var bobKey = NodeIdentity.Create();
        using var malloryKey = NodeIdentity.Create();
        await using var alice = await NodeHarness.StartAsync(aliceKey, ct);
        await using var mallory = await NodeHarness.StartAsync(malloryKey, ct);
        // Bob's genuine, signed address, but naming the endpoint where Mallory listens (a hijacked route).
        var misleading = NodeAddress.Issue(bobKey, mallory.Address.Content);

        var failure = await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectAsync(misleading, ct));
        Assert.Contains("not the expected", failure.Message, StringComparison.Ordinal);
        var attempt = Assert.Single(failure.Attempts);
        Assert.Equal(AttemptResult.Failed, attempt.Result);
    }

    [Fact(Timeout = 60_000)]
    public async Task Connecting_to_a_closed_port_fails_fast_with_each_attempt_named()
    {
        var ct = TestContext.Current.CancellationToken;
        using var aliceKey = NodeIdentity.Create();
        using var ghostKey = NodeIdentity.Create();
        await using var alice = await NodeHarness.StartAsync(aliceKey, ct);
        var closedPort = LoopbackPorts.Distinct(1)[0].Port;
        var ghost = NodeAddress.Issue(ghostKey, new NodeAddressContent
        {
            Endpoints = [new AddressEndpoint { LanAddress = IPAddress.Loopback, ListenPort = closedPort }],
            IssuedAt = DateTimeOffset.UtcNow,
        });
        var failure = await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectAsync(ghost, ct));
        Assert.Equal("connect_failed", failure.Code);
        Assert.Contains($"127.0.0.1:{closedPort}", failure.Message, StringComparison.Ordinal);
        Assert.Equal(DirectStrategy.StrategyName, Assert.Single(failure.Attempts).Strategy);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_address_without_endpoints_or_expired_is_refused_with_a_typed_error()
    {
        var ct = TestContext.Current.CancellationToken;
        using var aliceKey = NodeIdentity.Create();
        using var bobKey = NodeIdentity.Create();
        await using var alice = await NodeHarness.StartAsync(aliceKey, ct);
        var empty = NodeAddress.Issue(bobKey, new NodeAddressContent { IssuedAt = DateTimeOffset.UtcNow });
        await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectAsync(empty, ct));
        var old = NodeAddress.Issue(bobKey, new NodeAddressContent { IssuedAt = DateTimeOffset.UtcNow.AddDays(-3), Lifetime = TimeSpan.FromDays(1) });
        var expired = await Assert.ThrowsAsync<AddressFormatException>(() => alice.ConnectAsync(old, ct));
        Assert.Equal(AddressError.Expired, expired.Reason);
        await Assert.ThrowsAsync<ConnectFailedException>(() => alice.ConnectAsync(alice.Address, ct));
    }

    [Fact(Timeout = 60_000)]
    public async Task Garbage_and_idle_sockets_do_not_stop_the_node_from_accepting_peers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nodes = await NodePair.StartAsync(ct, o => o with
        {
            MaxPendingHandshakes = 4,
            Connect = o.Connect with { HandshakeTimeout = TimeSpan.FromSeconds(1) },
        });
        var target = nodes.Bob.ListenEndPoints[0];
        var junk = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                junk.Add(s);
                await s.ConnectAsync(target, ct);
                if (i % 2 == 0)
                {
                    await s.SendAsync(System.Text.Encoding.ASCII.GetBytes(new string('x', 5000)), ct); // garbage
                }
            }
            // Every junk socket is closed by the node within the handshake deadline (or at once when over the limit).
            foreach (var s in junk)
            {
                var buffer = new byte[4096];
                int n;
                do
                {
                    try
                    {
                        n = await s.ReceiveAsync(buffer, ct);
                    }
                    catch (SocketException)
                    {
                        n = 0;
                    }
                }
                while (n > 0);
            }
            var (outbound, inbound) = await NodeHarness.ConnectAsync(nodes.Alice, nodes.Bob, ct);
            await using var _ = outbound;
            await using var __ = inbound;
            Assert.Equal(nodes.Alice.NodeId, inbound.RemoteId);
        }
        finally
        {
            junk.ForEach(s => s.Dispose());
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task One_host_holding_idle_connections_takes_only_its_share_of_the_pending_handshakes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nodes = await NodePair.StartAsync(ct, o => o with
        {
            MaxPendingHandshakesPerAddress = 2,
            Connect = o.Connect with { HandshakeTimeout = TimeSpan.FromSeconds(30) },
        });
        var target = nodes.Bob.ListenEndPoints[0];
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 3; i++) // from 127.0.0.2, which is not where the peers dial from
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                idle.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await s.ConnectAsync(target, ct);
            }
            // The third is over 127.0.0.2's share: closed at once, long before the 30 s handshake deadline.
            using (var soon = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                soon.CancelAfter(TimeSpan.FromSeconds(10));
                Assert.Equal(0, await ReceiveOrResetAsync(idle[2], soon.Token));
            }
            // The two within it stay open, and a peer from another address still gets in.
            var (outbound, inbound) = await NodeHarness.ConnectAsync(nodes.Alice, nodes.Bob, ct);
            await using var _ = outbound;
            await using var __ = inbound;
            Assert.Equal(nodes.Alice.NodeId, inbound.RemoteId);
            Assert.False(idle[0].Poll(0, SelectMode.SelectRead)); // nothing to read, not closed: still held
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    /// <summary>What a receive gives: the bytes read, or 0 when the socket was closed or reset.</summary>
    private static async Task<int> ReceiveOrResetAsync(Socket socket, CancellationToken ct)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[64], ct);
        }
        catch (SocketException)
        {
            return 0;
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Everything_written_before_dispose_arrives_and_the_peer_reads_the_end_not_a_reset()
    {
        // The dialing side never reads: the TLS session ticket the acceptor sent after the handshake stays unread,
        // and a plain close of such a socket is a reset that drops what the kernel had not sent yet.
        var ct = TestContext.Current.CancellationToken;
        await using var nodes = await NodePair.StartAsync(ct);
        var data = new byte[4 * 1024 * 1024];
        Random.Shared.NextBytes(data);
        for (var i = 0; i < 3; i++)
        {
            var (outbound, inbound) = await NodeHarness.ConnectAsync(nodes.Alice, nodes.Bob, ct);
            await using var _ = inbound;
            var reading = Task.Run(async () =>
            {
                using var received = new MemoryStream();
                await inbound.Stream.CopyToAsync(received, ct); // an IOException here is the reset
                return received.ToArray();
            }, ct);
            await Task.Delay(100, ct); // the ticket has arrived
            await outbound.Stream.WriteAsync(data, ct);
            await outbound.DisposeAsync();
            Assert.Equal(data, await reading);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Framed_messages_flow_over_a_peer_connection()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var nodes = await NodePair.StartAsync(ct);
        var (outbound, inbound) = await NodeHarness.ConnectAsync(nodes.Alice, nodes.Bob, ct);
        await using var _ = outbound;
        await using var __ = inbound;
        var big = new byte[500_000];
        Random.Shared.NextBytes(big);
        await new MessageStream(outbound.Stream).WriteAsync(big, ct);
        Assert.Equal(big, await new MessageStream(inbound.Stream).ReadAsync(ct));
    }

    private static async Task<string> ReadToEndAsync(Stream stream, CancellationToken ct)
    {
        using var memory = new MemoryStream();
        await stream.CopyToAsync(memory, ct);
        return System.Text.Encoding.UTF8.GetString(memory.ToArray());
    }
}
