using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Rendezvous;
using Burrow.Rendezvous.Client;
using Burrow.Rendezvous.Datagram;
using Burrow.Rendezvous.Protocol;
using Burrow.Rendezvous.Server;
using Burrow.Transport;

namespace Burrow.Tests.Rendezvous.Datagram;

/// <summary>Nodes joined to a rendezvous by datagram, on loopback, next to nodes on TLS.</summary>
public sealed class DatagramRendezvousTests : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private readonly NodeIdentity _alice = NodeIdentity.Create();
    private readonly NodeIdentity _bob = NodeIdentity.Create();

    public ValueTask DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        return ValueTask.CompletedTask;
    }

    private static NodeAddress AddressOf(NodeIdentity key) => ReverseRequestTests.AddressOf(key, DateTimeOffset.UtcNow, 4000);

    private static Task<DatagramLink> JoinAsync(RendezvousServer server, NodeIdentity identity, CancellationToken ct) =>
        DatagramLink.EstablishAsync(server.LocalEndPoint, identity, Wait, TimeProvider.System, ct);

    private static async Task<T> ReceiveAsync<T>(IRendezvousLink link, CancellationToken ct)
        where T : RendezvousMessage => Assert.IsType<T>(await link.ReceiveAsync(Wait, ct));

    private static async Task<DatagramLink> RegisterAsync(RendezvousServer server, NodeIdentity identity, CancellationToken ct)
    {
        var link = await JoinAsync(server, identity, ct);
        Assert.True(link.TrySend(new Register(AddressOf(identity).Record)));
        await ReceiveAsync<Registered>(link, ct);
        return link;
    }

    [Fact(Timeout = 30_000)]
    public async Task A_node_joins_by_datagram_registers_and_learns_its_UDP_endpoint_and_the_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        await using var link = await JoinAsync(server, _alice, ct);
        Assert.False(server.IsRegistered(_alice.NodeId)); // joined is not registered
        link.TrySend(new Register(AddressOf(_alice).Record));
        var registered = await ReceiveAsync<Registered>(link, ct);
        Assert.Equal(IPAddress.Loopback, registered.ObservedEndPoint.Address);
        Assert.True(server.IsRegistered(_alice.NodeId));

        var t0 = DateTimeOffset.UtcNow;
        link.TrySend(new TimeRequest(t0));
        Assert.Equal(t0.UtcTicks / 10, (await ReceiveAsync<TimeReply>(link, ct)).ClientSent.UtcTicks / 10);
        link.TrySend(new Ping(42));
        Assert.Equal(42UL, (await ReceiveAsync<Pong>(link, ct)).Value);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_idle_session_gives_its_ciphers_back_and_keeps_them_again_once_used()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        await using var link = await RegisterAsync(server, _alice, ct);
        Assert.Equal(1, server.DatagramSessionsKeepingCiphers);
        await Eventually.HoldsAsync(() => server.DatagramSessionsKeepingCiphers == 0, ct); // idle a second or two

        for (var round = 0; round < 2; round++)
        {
            var t0 = DateTimeOffset.UtcNow;
            link.TrySend(new TimeRequest(t0)); // opened and answered with ciphers made again
            Assert.Equal(t0.UtcTicks / 10, (await ReceiveAsync<TimeReply>(link, ct)).ClientSent.UtcTicks / 10);
            Assert.Equal(1, server.DatagramSessionsKeepingCiphers);
            await Eventually.HoldsAsync(() => server.DatagramSessionsKeepingCiphers == 0, ct);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Signals_cross_between_a_datagram_node_and_a_TLS_node_both_ways()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        await using var alice = await RegisterAsync(server, _alice, ct);
        using var bobTls = new TlsCredentials(_bob, TimeProvider.System);
        await using var bob = await RendezvousConnection.EstablishAsync(await TcpDialer.ConnectAsync(server.LocalEndPoint, ct), bobTls, TlsRole.Client, Wait, 16, ct);
        bob.TrySend(new Register(AddressOf(_bob).Record));
        await ReceiveAsync<Registered>(bob, ct);

        var large = RandomNumberGenerator.GetBytes(RendezvousCodec.MaxPayloadSize); // larger than one Ethernet frame
        alice.TrySend(new SignalTo(_bob.NodeId, large));
        var atBob = await ReceiveAsync<SignalFrom>(bob, ct);
        Assert.Equal(_alice.NodeId, atBob.Source);
        Assert.Equal(large, atBob.Payload.ToArray());
        bob.TrySend(new SignalTo(_alice.NodeId, new byte[] { 7 }));
        var atAlice = await ReceiveAsync<SignalFrom>(alice, ct);
        Assert.Equal((_bob.NodeId, 7), (atAlice.Source, (int)atAlice.Payload.Span[0]));

        using var stranger = NodeIdentity.Create();
        alice.TrySend(new SignalTo(stranger.NodeId, new byte[] { 9 }));
        Assert.Equal(SignalFailure.UnknownPeer, (await ReceiveAsync<SignalFailed>(alice, ct)).Reason);
    }

    [Fact(Timeout = 30_000)]
    public async Task Registering_another_keys_address_or_signaling_first_is_refused_and_ends_the_session()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        await using (var link = await JoinAsync(server, _alice, ct)) // joined as alice…
        {
            link.TrySend(new Register(AddressOf(_bob).Record)); // …registering bob's (validly signed) address
            Assert.Equal(RegisterRefusal.KeyMismatch, (await ReceiveAsync<RegisterRefused>(link, ct)).Reason);
            link.TrySend(new Ping(1)); // the session is gone: the server answers with a reset
            Assert.Null(await link.ReceiveAsync(Wait, ct));
        }
        Assert.False(server.IsRegistered(_bob.NodeId));
        Assert.False(server.IsRegistered(_alice.NodeId));

        await using var early = await JoinAsync(server, _alice, ct);
        early.TrySend(new SignalTo(_bob.NodeId, new byte[] { 1 }));
        Assert.Equal(RegisterRefusal.NotRegistered, (await ReceiveAsync<RegisterRefused>(early, ct)).Reason);
    }

    [Fact(Timeout = 30_000)]
    public async Task Garbage_a_join_from_another_address_and_a_forged_signature_get_no_session()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await first.ConnectAsync(server.LocalEndPoint, ct);
        await second.ConnectAsync(server.LocalEndPoint, ct);
        for (var i = 0; i < 1000; i++)
        {
            await first.SendAsync(RandomNumberGenerator.GetBytes(1 + (i % 300)), ct);
        }

        using var challenge = await ChallengeAsync(first, ct);

        // The cookie was issued to the first socket's address: from the second, the join is ignored.
        await second.SendAsync(challenge.Join(_alice, _alice), ct);
        // Alice's key with bob's signature: ignored.
        await first.SendAsync(challenge.Join(_alice, _bob), ct);
        await AssertQuietAsync(first, ct);

        // The same join, signed by alice, from the address it was issued to: welcomed.
        await first.SendAsync(challenge.Join(_alice, _alice), ct);
        var buffer = new byte[2048];
        var length = await first.ReceiveAsync(buffer, ct);
        Assert.True(DatagramPacket.TryReadKind(buffer.AsSpan(0, length), out var kind));
        Assert.Equal(DatagramKind.Data, kind);

        // The server still serves everyone else.
        await using var bob = await RegisterAsync(server, _bob, ct);
        Assert.True(server.IsRegistered(_bob.NodeId));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_join_sent_again_is_welcomed_again_another_with_its_cookie_is_refused_and_fresh_joins_keep_to_the_budget()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await RendezvousServerTests.StartServerAsync(ct, o => o with { TimeProvider = time, MaxDatagramJoinsPerSecond = 1 });
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await first.ConnectAsync(server.LocalEndPoint, ct);
        await second.ConnectAsync(server.LocalEndPoint, ct);
        var buffer = new byte[4096];

        using var alice = await ChallengeAsync(first, ct);
        var join = alice.Join(_alice, _alice);
        var channel = alice.Channel(_alice);
        for (var i = 0; i < 2; i++) // the second time as a node sends it when the welcome was lost: welcomed again
        {
            await first.SendAsync(join, ct);
            var length = await first.ReceiveAsync(buffer, ct);
            Assert.Equal(OpenResult.Control, channel.Open(buffer.AsSpan(0, length), [], out var welcome));
            Assert.Equal(DatagramContent.Welcome, welcome.Content);
        }
        await first.SendAsync(alice.Join(_alice, _alice), ct); // another join (a new signature) with the cookie of one accepted
        await AssertQuietAsync(first, ct);

        using var bob = await ChallengeAsync(second, ct);
        var bobJoin = bob.Join(_bob, _bob);
        await second.SendAsync(bobJoin, ct); // the second fresh join in the same second: over the budget of one
        await AssertQuietAsync(second, ct);
        time.Advance(TimeSpan.FromSeconds(1));
        await second.SendAsync(bobJoin, ct); // sent again a second later: checked and welcomed
        var bobLength = await second.ReceiveAsync(buffer, ct);
        Assert.Equal(OpenResult.Control, bob.Channel(_bob).Open(buffer.AsSpan(0, bobLength), [], out var bobWelcome));
        Assert.Equal(DatagramContent.Welcome, bobWelcome.Content);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_replayed_packet_from_elsewhere_neither_moves_the_session_nor_gets_an_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        using var node = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var attacker = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        await node.ConnectAsync(server.LocalEndPoint, ct);
        await attacker.ConnectAsync(server.LocalEndPoint, ct);
        var channel = await RawJoinAsync(node, _alice, ct);
        var buffer = new byte[4096];

        var request = channel.SealControl(DatagramContent.Request, RendezvousCodec.Encode(new TimeRequest(DateTimeOffset.UtcNow)), out _);
        await node.SendAsync(request, ct);
        var length = await node.ReceiveAsync(buffer, ct);
        Assert.Equal(OpenResult.Control, channel.Open(buffer.AsSpan(0, length), [], out var response));
        Assert.Equal(DatagramContent.Response, response.Content);

        await attacker.SendAsync(request, ct); // the same bytes, from another address
        await AssertQuietAsync(attacker, ct);
        var next = channel.SealControl(DatagramContent.Request, RendezvousCodec.Encode(new Ping(5)), out _);
        await node.SendAsync(next, ct);
        length = await node.ReceiveAsync(buffer, ct); // still answered where the node is
        Assert.Equal(OpenResult.Control, channel.Open(buffer.AsSpan(0, length), [], out var pong));
        Assert.Equal(DatagramContent.Response, pong.Content);
    }

    [Fact(Timeout = 30_000)]
    public async Task Joins_beyond_the_pending_limit_wait_until_a_joined_node_registers()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct, o => o with { MaxPendingHandshakes = 1 });
        await using var first = await JoinAsync(server, _alice, ct); // joined, not registered: the one pending join
        await Assert.ThrowsAsync<TimeoutException>(() => DatagramLink.EstablishAsync(server.LocalEndPoint, _bob, TimeSpan.FromSeconds(1), TimeProvider.System, ct));
        first.TrySend(new Register(AddressOf(_alice).Record));
        await ReceiveAsync<Registered>(first, ct);
        await using var bob = await RegisterAsync(server, _bob, ct);
        Assert.Equal(2, server.RegisteredCount);
    }

    [Fact(Timeout = 30_000)]
    public async Task One_address_holds_at_most_its_share_of_the_pending_joins()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct, o => o with { MaxPendingPerAddress = 1 });
        await using var first = await JoinAsync(server, _alice, ct); // from 127.0.0.1, joined, not registered
        await Assert.ThrowsAsync<TimeoutException>(() => DatagramLink.EstablishAsync(server.LocalEndPoint, _bob, TimeSpan.FromSeconds(1), TimeProvider.System, ct));

        using var elsewhere = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        elsewhere.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await elsewhere.ConnectAsync(server.LocalEndPoint, ct);
        await RawJoinAsync(elsewhere, _bob, ct); // from another address: welcomed

        first.TrySend(new Register(AddressOf(_alice).Record));
        await ReceiveAsync<Registered>(first, ct);
        await using var again = await JoinAsync(server, _bob, ct); // alice registered: 127.0.0.1 may join again
    }

    /// <summary>Hello, challenge, join and welcome by hand; the node's end of the session.</summary>
    private static async Task<DatagramChannel> RawJoinAsync(Socket socket, NodeIdentity identity, CancellationToken ct)
    {
        using var challenge = await ChallengeAsync(socket, ct);
        await socket.SendAsync(challenge.Join(identity, identity), ct);
        var buffer = new byte[4096];
        var length = await socket.ReceiveAsync(buffer, ct);
        var channel = challenge.Channel(identity);
        Assert.Equal(OpenResult.Control, channel.Open(buffer.AsSpan(0, length), [], out var welcome));
        Assert.Equal(DatagramContent.Welcome, welcome.Content);
        return channel;
    }

    /// <summary>A hello, and the challenge it got, with a fresh ephemeral key to answer it.</summary>
    private static async Task<RawChallenge> ChallengeAsync(Socket socket, CancellationToken ct)
    {
        var nonce = RandomNumberGenerator.GetBytes(16);
        await socket.SendAsync(DatagramPacket.Hello(nonce), ct);
        var buffer = new byte[4096];
        var length = await socket.ReceiveAsync(buffer, ct);
        Assert.True(DatagramPacket.TryReadKind(buffer.AsSpan(0, length), out var kind));
        Assert.Equal(DatagramKind.Challenge, kind);
        DatagramPacket.ReadChallenge(buffer.AsSpan(0, length), out _, out var issued, out var cookie, out var serverKey);
        return new RawChallenge(nonce, issued, cookie.ToArray(), serverKey.ToArray());
    }

    private sealed class RawChallenge(byte[] nonce, ulong issued, byte[] cookie, byte[] serverKey) : IDisposable
    {
        private readonly System.Security.Cryptography.ECDiffieHellman _ephemeral = DatagramKeys.NewEphemeral();

        /// <summary>A join claiming <paramref name="node"/>'s key, signed by <paramref name="signer"/>.</summary>
        public byte[] Join(NodeIdentity node, NodeIdentity signer)
        {
            var clientKey = DatagramKeys.PublicKey(_ephemeral);
            var transcript = DatagramKeys.Transcript(nonce, issued, cookie, serverKey, clientKey);
            return DatagramPacket.Join(nonce, issued, cookie, clientKey, node.PublicKey.Compressed.Span, signer.Sign(transcript));
        }

        /// <summary>The node's end of the session the join makes.</summary>
        public DatagramChannel Channel(NodeIdentity node)
        {
            Assert.True(DatagramKeys.TryAgree(_ephemeral, serverKey, out var secret));
            return new DatagramChannel(DatagramKeys.Derive(secret, cookie, node.NodeId), isServer: false);
        }

        public void Dispose() => _ephemeral.Dispose();
    }

    private static async Task AssertQuietAsync(Socket socket, CancellationToken ct)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(500);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await socket.ReceiveAsync(new byte[4096], quiet.Token));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_rejoining_node_replaces_its_old_session()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await RendezvousServerTests.StartServerAsync(ct);
        await using var old = await RegisterAsync(server, _alice, ct);
        await using var fresh = await RegisterAsync(server, _alice, ct);
        await using var bob = await RegisterAsync(server, _bob, ct);
        bob.TrySend(new SignalTo(_alice.NodeId, new byte[] { 3 }));
        Assert.Equal(3, (await ReceiveAsync<SignalFrom>(fresh, ct)).Payload.Span[0]);
        old.TrySend(new Ping(1));
        Assert.Null(await old.ReceiveAsync(Wait, ct)); // reset: the server forgot it
        Assert.Equal(2, server.RegisteredCount);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_client_on_datagrams_registers_and_registers_again_when_the_server_comes_back()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await RendezvousServerTests.StartServerAsync(ct);
        var port = server.LocalEndPoint.Port;
        var address = AddressOf(_alice);
        using var tls = new TlsCredentials(_alice, TimeProvider.System);
        var options = new RendezvousClientOptions { Transport = RendezvousTransport.Datagram, PingInterval = TimeSpan.FromMilliseconds(200), MinReconnectDelay = TimeSpan.FromMilliseconds(50) };
        await using var client = new RendezvousClient(new SignalEndpoint("127.0.0.1", port), tls, () => address, options);
        try
        {
            client.Start();
            await client.WaitRegisteredAsync(ct);
            Assert.Equal(IPAddress.Loopback, client.ObservedEndPoint!.Address);
            while (client.ClockSamples < RendezvousClient.InitialClockSamples)
            {
                await Task.Delay(10, ct);
            }
            Assert.True(client.Clock!.Value.Offset.Duration() < TimeSpan.FromSeconds(1));

            await server.DisposeAsync();
            server = await RendezvousServerTests.StartServerAsync(ct, o => o with { Listen = new IPEndPoint(IPAddress.Loopback, port) });
            while (client.Registrations < 2)
            {
                await Task.Delay(20, ct);
            }
            Assert.True(server.IsRegistered(_alice.NodeId));
            await using var bob = await RegisterAsync(server, _bob, ct);
            bob.TrySend(new SignalTo(_alice.NodeId, new byte[] { 5 }));
            Assert.Equal(_bob.NodeId, (await client.Signals.ReadAsync(ct)).Source);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
