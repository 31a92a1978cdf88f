using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Node;
using Burrow.Relay;
using Burrow.Rendezvous.Client;
using Burrow.Rendezvous.Server;
using Burrow.Tests.Connect;
using Burrow.Tests.Node;
using Burrow.Transport;

namespace Burrow.Tests.Rendezvous;

/// <summary>
/// Whole nodes on loopback, neither of them listening, registered at a real rendezvous: the plan punches through,
/// and a relay the peer advertises carries a connection when asked for.
/// </summary>
[Collection(typeof(PunchCollection))]
public sealed class PunchAndRelayNodeTests : IAsyncDisposable
{
    private readonly Owned _owned = new();
    private readonly NodeIdentity _aliceKey;
    private readonly NodeIdentity _bobKey;

    public PunchAndRelayNodeTests() => (_aliceKey, _bobKey) = (_owned.Add(NodeIdentity.Create()), _owned.Add(NodeIdentity.Create()));

    public ValueTask DisposeAsync() => _owned.DisposeAsync();

    private Task<BurrowNode> StartNodeAsync(NodeIdentity key, SignalEndpoint rendezvous, IReadOnlyList<SignalEndpoint> relays, CancellationToken ct) =>
        StartNodeAsync(_owned, key, rendezvous, relays, null, ct);

    private static async Task<BurrowNode> StartNodeAsync(Owned owned, NodeIdentity key, SignalEndpoint rendezvous, IReadOnlyList<SignalEndpoint> relays,
        ConnectOptions? connect, CancellationToken ct)
    {
        var node = await NodeHarness.StartAsync(key, ct, o => o with
        {
            Connect = connect ?? o.Connect,
            ListenEndpoints = [],
            Rendezvous = [rendezvous],
            Relays = relays,
            RendezvousClient = new RendezvousClientOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(50), MaxReconnectDelay = TimeSpan.FromMilliseconds(400) },
        });
        owned.Add(node);
        await node.Rendezvous[0].WaitRegisteredAsync(ct);
        return node;
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_nodes_without_listeners_connect_by_the_planned_punch()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await RendezvousServerTests.StartServerAsync(ct);
        _owned.Add(server);
        var rendezvous = new SignalEndpoint("127.0.0.1", server.LocalEndPoint.Port);
        var alice = await StartNodeAsync(_aliceKey, rendezvous, [], ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, [], ct);
        Assert.Empty(DialTargets.From(bob.Address));

        var accepting = bob.AcceptAsync(ct);
        await using var outbound = await alice.ConnectAsync(bob.Address, ct);
        await using var inbound = await accepting;
        Assert.Equal(("punch", "punch"), (outbound.Strategy, inbound.Strategy));
        Assert.Equal(_bobKey.NodeId, outbound.RemoteId);
        Assert.Equal(_aliceKey.NodeId, inbound.RemoteId);
        Assert.False(outbound.IsRelayed);
        await outbound.Stream.WriteAsync("punched"u8.ToArray(), ct);
        var buffer = new byte[7];
        await inbound.Stream.ReadExactlyAsync(buffer, ct);
        Assert.Equal("punched"u8.ToArray(), buffer);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_ready_node_is_registered_has_measured_the_clock_and_has_run_its_connect_path_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await RendezvousServerTests.StartServerAsync(ct);
        _owned.Add(server);
        var node = await NodeHarness.StartAsync(_aliceKey, ct, o => o with { ListenEndpoints = [], Rendezvous = [new SignalEndpoint("127.0.0.1", server.LocalEndPoint.Port)] });
        _owned.Add(node);
        await node.WaitReadyAsync(ct).WaitAsync(TimeSpan.FromSeconds(20), ct);
        Assert.True(server.IsRegistered(_aliceKey.NodeId));
        Assert.NotNull(node.Rendezvous[0].Clock);
        // Without a rendezvous there is nothing to wait for (and no punch to warm up).
        var alone = await NodeHarness.StartAsync(_bobKey, ct);
        _owned.Add(alone);
        Assert.True(alone.WaitReadyAsync(ct).IsCompletedSuccessfully);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_node_asked_to_meet_at_its_relay_gets_a_relayed_connection_that_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var (rendezvous, relayEndpoint) = await StartRendezvousAndRelayAsync(_owned, ct);
        var alice = await StartNodeAsync(_aliceKey, rendezvous, [], ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, [relayEndpoint], ct);

        var accepting = bob.AcceptAsync(ct);
        await using var outbound = await alice.ConnectWithAsync(bob.Address, RelayStrategy.StrategyName, ct);
        await using var inbound = await accepting;
        Assert.Equal(("relay", "relay"), (outbound.Strategy, inbound.Strategy));
        Assert.True(outbound.IsRelayed);
        Assert.True(inbound.IsRelayed);
        Assert.Equal(_bobKey.NodeId, outbound.RemoteId);
        // The dialer learns what its plan did; the accepting side made no plan.
        Assert.Equal([("relay", AttemptResult.Connected)], outbound.Attempts.Select(a => (a.Strategy, a.Result)));
        Assert.Empty(inbound.Attempts);
    }

    private Task<(BurrowNode Alice, BurrowNode Bob)> StartWithRelayAsync(ConnectOptions connect, CancellationToken ct) =>
        StartWithRelayAsync(_owned, _aliceKey, _bobKey, connect, ct);

    /// <summary>A rendezvous, a relay, and two nodes without listeners registered there; bob advertises the relay.</summary>
    internal static Task<(BurrowNode Alice, BurrowNode Bob)> StartWithRelayAsync(Owned owned, NodeIdentity aliceKey, NodeIdentity bobKey,
        ConnectOptions connect, CancellationToken ct) =>
        StartWithRelayAsync(owned, aliceKey, bobKey, connect, new RelayServerOptions().Limits, ct);

    /// <summary>The same, with a relay that puts <paramref name="relayLimits"/> on its sessions.</summary>
    internal static async Task<(BurrowNode Alice, BurrowNode Bob)> StartWithRelayAsync(Owned owned, NodeIdentity aliceKey, NodeIdentity bobKey,
        ConnectOptions connect, RelayLimits relayLimits, CancellationToken ct)
    {
        var (rendezvous, relay) = await StartRendezvousAndRelayAsync(owned, relayLimits, ct);
        var alice = await StartNodeAsync(owned, aliceKey, rendezvous, [], connect, ct);
        var bob = await StartNodeAsync(owned, bobKey, rendezvous, [relay], connect, ct);
        return (alice, bob);
    }

    /// <summary>A rendezvous and a relay on loopback, owned by <paramref name="owned"/>.</summary>
    private static Task<(SignalEndpoint Rendezvous, SignalEndpoint Relay)> StartRendezvousAndRelayAsync(Owned owned, CancellationToken ct) =>
        StartRendezvousAndRelayAsync(owned, new RelayServerOptions().Limits, ct);

    /// <summary>The same, with a relay that puts <paramref name="relayLimits"/> on its sessions.</summary>
    private static async Task<(SignalEndpoint Rendezvous, SignalEndpoint Relay)> StartRendezvousAndRelayAsync(Owned owned, RelayLimits relayLimits,
        CancellationToken ct)
    {
        var server = owned.Add(await RendezvousServerTests.StartServerAsync(ct));
        var relay = owned.Add(RelayServer.Start(new RelayServerOptions { ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)], Limits = relayLimits }));
        return (new SignalEndpoint("127.0.0.1", server.LocalEndPoint.Port), new SignalEndpoint("127.0.0.1", relay.EndPoints[0].Port));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_relayed_connection_is_replaced_by_a_punched_one_in_the_background_on_both_ends()
    {
        var ct = TestContext.Current.CancellationToken;
        var (alice, bob) = await StartWithRelayAsync(new ConnectOptions { UpgradeAfter = [TimeSpan.FromMilliseconds(50)] }, ct);

        var accepting = bob.AcceptAsync(ct);
        await using var relayed = await alice.ConnectWithAsync(bob.Address, RelayStrategy.StrategyName, ct);
        await using var relayedIn = await accepting;
        var upgradingIn = relayedIn.UpgradeAsync(ct);
        await using var direct = await relayed.UpgradeAsync(ct) ?? throw new Xunit.Sdk.XunitException("alice got no direct connection");
        await using var directIn = await upgradingIn.WaitAsync(TimeSpan.FromSeconds(10), ct) ?? throw new Xunit.Sdk.XunitException("bob got no direct connection");
        Assert.Equal(("punch", "punch"), (direct.Strategy, directIn.Strategy));
        Assert.False(direct.IsRelayed || directIn.IsRelayed);
        Assert.Equal((_bobKey.NodeId, _aliceKey.NodeId), (direct.RemoteId, directIn.RemoteId));
        Assert.Null(await relayed.UpgradeAsync(ct)); // handed over once

        // The direct streams carry data; the relayed ones still do until the application closes them.
        await direct.Stream.WriteAsync("direct"u8.ToArray(), ct);
        await relayedIn.Stream.WriteAsync("relayed"u8.ToArray(), ct);
        var buffer = new byte[7];
        await directIn.Stream.ReadExactlyAsync(buffer.AsMemory(0, 6), ct);
        Assert.Equal("direct"u8.ToArray(), buffer[..6]);
        await relayed.Stream.ReadExactlyAsync(buffer, ct);
        Assert.Equal("relayed"u8.ToArray(), buffer);

        // The replacement never surfaced as an inbound connection of its own.
        await AssertNothingAcceptedAsync(bob, ct);
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_upgrades_or_once_closed_a_relayed_connection_says_no_direct_one_will_come()
    {
        var ct = TestContext.Current.CancellationToken;
        var (alice, bob) = await StartWithRelayAsync(new ConnectOptions { UpgradeAfter = [] }, ct);
        var accepting = bob.AcceptAsync(ct);
        var relayed = await alice.ConnectWithAsync(bob.Address, RelayStrategy.StrategyName, ct);
        var relayedIn = await accepting;
        Assert.Null(await relayed.UpgradeAsync(ct).WaitAsync(TimeSpan.FromSeconds(5), ct));
        var upgradingIn = relayedIn.UpgradeAsync(ct);
        Assert.False(upgradingIn.IsCompleted); // bob does not know whether alice will try
        await relayedIn.DisposeAsync();
        Assert.Null(await upgradingIn.WaitAsync(TimeSpan.FromSeconds(5), ct));
        await relayed.DisposeAsync();
    }

    [Fact(Timeout = 60_000)]
    public async Task A_connection_claiming_to_replace_a_relayed_connection_that_is_not_open_is_closed_and_never_accepted()
    {
        var ct = TestContext.Current.CancellationToken;
        var bob = await NodeHarness.StartAsync(_bobKey, ct);
        _owned.Add(bob);
        using var aliceTls = new TlsCredentials(_aliceKey, TimeProvider.System);
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(bob.ListenEndPoints[0], ct);
        var tag = UpgradeTag.FromRelayToken(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var (stream, _) = await PeerHandshake.AuthenticateAsync(new System.Net.Sockets.NetworkStream(socket), aliceTls, TlsRole.Client, _bobKey.NodeId, tag, ct);
        await using (stream)
        {
            var read = 0;
            try
            {
                read = await stream.ReadAsync(new byte[1], ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct);
            }
            catch (IOException)
            {
                // closed hard: as good as a close
            }
            Assert.Equal(0, read);
        }
        await AssertNothingAcceptedAsync(bob, ct);
    }

    /// <summary>Nothing reaches <paramref name="node"/>'s AcceptAsync within 300 ms.</summary>
    private static async Task AssertNothingAcceptedAsync(BurrowNode node, CancellationToken ct)
    {
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
        quiet.CancelAfter(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await node.AcceptAsync(quiet.Token));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_connection_with_the_right_tag_from_another_peer_is_refused_and_the_peer_itself_is_taken()
    {
        var ct = TestContext.Current.CancellationToken;
        var (rendezvous, relayEndpoint) = await StartRendezvousAndRelayAsync(_owned, ct);
        var noUpgrades = new ConnectOptions { UpgradeAfter = [] };
        var alice = await StartNodeAsync(_owned, _aliceKey, rendezvous, [], noUpgrades, ct);
        var bob = await NodeHarness.StartAsync(_bobKey, ct, o => o with
        {
            Rendezvous = [rendezvous], Relays = [relayEndpoint], Connect = noUpgrades,
        });
        _owned.Add(bob);
        await bob.Rendezvous[0].WaitRegisteredAsync(ct);
        var accepting = bob.AcceptAsync(ct);
        await using var relayed = await alice.ConnectWithAsync(bob.Address, RelayStrategy.StrategyName, ct);
        await using var relayedIn = await accepting;
        var tag = relayedIn.RelayTag!.Value;
        var upgrading = relayedIn.UpgradeAsync(ct);

        // Carol knows the tag (say, from the relay, which sees the token) but is not alice: closed, not handed over
        // (after bob waited the handshake timeout, 5 s, for a relayed connection with carol and that tag).
        using var carolKey = NodeIdentity.Create();
        Assert.Equal(0, await DialWithTagAsync(carolKey, bob, tag, TimeSpan.FromSeconds(15), ct));
        Assert.False(upgrading.IsCompleted);

        // Alice with the same tag and the confirmation byte: handed to the relayed connection.
        Assert.Equal(-1, await DialWithTagAsync(_aliceKey, bob, tag, TimeSpan.FromSeconds(1), ct));
        await using var direct = await upgrading.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.NotNull(direct);
        Assert.Equal(_aliceKey.NodeId, direct!.RemoteId);
        Assert.False(direct.IsRelayed);
    }

    /// <summary>
    /// Dials <paramref name="bob"/> as <paramref name="key"/>, naming <paramref name="tag"/>, sends the confirmation
    /// byte, and returns what a read then gives within <paramref name="wait"/>: 0 when bob closed it, -1 when it stayed open.
    /// </summary>
    private static async Task<int> DialWithTagAsync(NodeIdentity key, BurrowNode bob, UpgradeTag tag, TimeSpan wait, CancellationToken ct)
    {
        using var tls = new TlsCredentials(key, TimeProvider.System);
        var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await socket.ConnectAsync(bob.ListenEndPoints[0], ct);
        var (stream, _) = await PeerHandshake.AuthenticateAsync(new System.Net.Sockets.NetworkStream(socket, ownsSocket: true), tls, TlsRole.Client, bob.NodeId, tag, ct);
        await using (stream)
        {
            await stream.WriteAsync(new[] { Burrow.Connect.Upgrade.RelayUpgrade.Chosen }, ct);
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(ct);
            quiet.CancelAfter(wait);
            try
            {
                return await stream.ReadAsync(new byte[1], quiet.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return -1;
            }
            catch (IOException)
            {
                return 0;
            }
        }
    }
}
