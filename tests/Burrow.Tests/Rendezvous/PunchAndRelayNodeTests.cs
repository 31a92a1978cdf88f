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

    private async Task<BurrowNode> StartNodeAsync(NodeIdentity key, SignalEndpoint rendezvous, IReadOnlyList<SignalEndpoint> relays, CancellationToken ct)
    {
        var node = await NodeHarness.StartAsync(key, ct, o => o with
        {
            ListenEndpoints = [],
            Rendezvous = [rendezvous],
            Relays = relays,
            RendezvousClient = new RendezvousClientOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(50), MaxReconnectDelay = TimeSpan.FromMilliseconds(400) },
        });
        _owned.Add(node);
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
    public async Task A_node_asked_to_meet_at_its_relay_gets_a_relayed_connection_that_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await RendezvousServerTests.StartServerAsync(ct);
        _owned.Add(server);
        var relay = RelayServer.Start(new RelayServerOptions { ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] });
        _owned.Add(relay);
        var rendezvous = new SignalEndpoint("127.0.0.1", server.LocalEndPoint.Port);
        var alice = await StartNodeAsync(_aliceKey, rendezvous, [], ct);
        var bob = await StartNodeAsync(_bobKey, rendezvous, [new SignalEndpoint("127.0.0.1", relay.EndPoints[0].Port)], ct);

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
}
