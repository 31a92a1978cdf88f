using System.Net;
using Burrow.Addressing;
using Burrow.Connect;
using Burrow.Identity;
using Burrow.Relay;
using Burrow.Tests.Connect;
using Burrow.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Burrow.Tests.Relay;

/// <summary>A relayed connection end to end on loopback: signal through an in-memory rendezvous, meet at a real relay.</summary>
public sealed class RelayStrategyTests
{
    [Fact(Timeout = 60_000)]
    public async Task Two_nodes_that_cannot_dial_each_other_meet_at_the_peers_relay_and_see_its_limits()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var relay = RelayServer.Start(new RelayServerOptions { ListenEndpoints = [new IPEndPoint(IPAddress.Loopback, 0)] });
        var relayEndpoint = new SignalEndpoint("127.0.0.1", relay.EndPoints[0].Port);
        using var alice = NodeIdentity.Create();
        using var bob = NodeIdentity.Create();
        using var aliceTls = new TlsCredentials(alice, TimeProvider.System);
        using var bobTls = new TlsCredentials(bob, TimeProvider.System);
        NodeAddress AddressOf(NodeIdentity identity, IReadOnlyList<SignalEndpoint> relays) => NodeAddress.Issue(identity, new NodeAddressContent
        {
            Rendezvous = [InMemoryRendezvous.Server],
            Relays = relays,
            IssuedAt = DateTimeOffset.UtcNow,
        });
        var aliceAddress = AddressOf(alice, []);
        var bobAddress = AddressOf(bob, [relayEndpoint]);

        var hub = new InMemoryRendezvous();
        var delivered = new TaskCompletionSource<PeerConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var responder = new RelayResponder(bobTls, () => bobAddress, new ConnectOptions(), TimeProvider.System, NullLogger.Instance,
            connection => { delivered.TrySetResult(connection); return Task.CompletedTask; });
        var aliceChannel = hub.Join(alice.NodeId, (_, _, _) => { });
        hub.Join(bob.NodeId, (channel, source, payload) => _ = responder.HandleAsync(source, payload, ct));

        var strategy = new RelayStrategy([aliceChannel]);
        var outcome = await strategy.TryConnectAsync(new ConnectContext(aliceTls, aliceAddress, bobAddress, new ConnectOptions(), TimeProvider.System, NullLogger.Instance), ct);
        Assert.True(outcome.Succeeded, outcome.Failure);
        await using var outbound = outcome.Connection!;
        await using var inbound = await delivered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(("relay", "relay"), (outbound.Strategy, inbound.Strategy));
        Assert.Equal(bob.NodeId, outbound.RemoteId);
        Assert.Equal(alice.NodeId, inbound.RemoteId);
        Assert.True(outbound.IsRelayed && inbound.IsRelayed);
        Assert.Equal(new RelayServerOptions().Limits, outbound.Relay);
        Assert.Equal(relay.EndPoints[0], outbound.RemoteEndPoint);
        await inbound.Stream.WriteAsync("via the relay"u8.ToArray(), ct);
        var buffer = new byte[13];
        await outbound.Stream.ReadExactlyAsync(buffer, ct);
        Assert.Equal("via the relay"u8.ToArray(), buffer);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_request_naming_a_relay_the_peer_does_not_advertise_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var alice = NodeIdentity.Create();
        using var bob = NodeIdentity.Create();
        using var bobTls = new TlsCredentials(bob, TimeProvider.System);
        var aliceAddress = NodeAddress.Issue(alice, new NodeAddressContent { IssuedAt = DateTimeOffset.UtcNow });
        var bobAddress = NodeAddress.Issue(bob, new NodeAddressContent { Relays = [new SignalEndpoint("127.0.0.1", 9)], IssuedAt = DateTimeOffset.UtcNow });
        var delivered = false;
        var responder = new RelayResponder(bobTls, () => bobAddress, new ConnectOptions { Timeout = TimeSpan.FromSeconds(2) }, TimeProvider.System,
            NullLogger.Instance, _ => { delivered = true; return Task.CompletedTask; });
        var request = RelayRequest.Create(alice, aliceAddress, bob.NodeId, new byte[16], DateTimeOffset.UtcNow, new SignalEndpoint("198.18.0.99", 443), new byte[32]);
        await responder.HandleAsync(alice.NodeId, request, ct); // returns at once: no connection attempted anywhere
        Assert.False(delivered);
    }
}
